using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// GEMM register tiles: 8 weight rows × 1 or 2 vectors of tokens, accumulated over k in registers.
/// Lanes run along tokens, so the weight is a broadcast scalar and the activations come from the
/// transposed block xt ([k, tokens]); no horizontal sums are needed.
/// panel: 8 rows of f32 weights, row r at panel + r·panelStride. tile (output): [8, vectors·Count].
/// </summary>
internal static unsafe class GemmTiles
{
    public const int Rows = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8x2<TS, TV>(float* panel, long panelStride, float* xt, int xtStride, int depth, float* tile)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int count = TS.Count;
        float* w0 = panel;
        float* w1 = panel + panelStride;
        float* w2 = panel + (2 * panelStride);
        float* w3 = panel + (3 * panelStride);
        float* w4 = panel + (4 * panelStride);
        float* w5 = panel + (5 * panelStride);
        float* w6 = panel + (6 * panelStride);
        float* w7 = panel + (7 * panelStride);
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        TV c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        for (int k = 0; k < depth; k++, xt += xtStride)
        {
            TV x0 = TS.Load(xt);
            TV x1 = TS.Load(xt + count);
            TV w = TS.Broadcast(w0[k]);
            c00 = TS.MultiplyAdd(w, x0, c00);
            c01 = TS.MultiplyAdd(w, x1, c01);
            w = TS.Broadcast(w1[k]);
            c10 = TS.MultiplyAdd(w, x0, c10);
            c11 = TS.MultiplyAdd(w, x1, c11);
            w = TS.Broadcast(w2[k]);
            c20 = TS.MultiplyAdd(w, x0, c20);
            c21 = TS.MultiplyAdd(w, x1, c21);
            w = TS.Broadcast(w3[k]);
            c30 = TS.MultiplyAdd(w, x0, c30);
            c31 = TS.MultiplyAdd(w, x1, c31);
            w = TS.Broadcast(w4[k]);
            c40 = TS.MultiplyAdd(w, x0, c40);
            c41 = TS.MultiplyAdd(w, x1, c41);
            w = TS.Broadcast(w5[k]);
            c50 = TS.MultiplyAdd(w, x0, c50);
            c51 = TS.MultiplyAdd(w, x1, c51);
            w = TS.Broadcast(w6[k]);
            c60 = TS.MultiplyAdd(w, x0, c60);
            c61 = TS.MultiplyAdd(w, x1, c61);
            w = TS.Broadcast(w7[k]);
            c70 = TS.MultiplyAdd(w, x0, c70);
            c71 = TS.MultiplyAdd(w, x1, c71);
        }

        int stride = 2 * count;
        TS.Store(tile, c00);
        TS.Store(tile + count, c01);
        TS.Store(tile + stride, c10);
        TS.Store(tile + stride + count, c11);
        TS.Store(tile + (2 * stride), c20);
        TS.Store(tile + (2 * stride) + count, c21);
        TS.Store(tile + (3 * stride), c30);
        TS.Store(tile + (3 * stride) + count, c31);
        TS.Store(tile + (4 * stride), c40);
        TS.Store(tile + (4 * stride) + count, c41);
        TS.Store(tile + (5 * stride), c50);
        TS.Store(tile + (5 * stride) + count, c51);
        TS.Store(tile + (6 * stride), c60);
        TS.Store(tile + (6 * stride) + count, c61);
        TS.Store(tile + (7 * stride), c70);
        TS.Store(tile + (7 * stride) + count, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8x1<TS, TV>(float* panel, long panelStride, float* xt, int xtStride, int depth, float* tile)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int count = TS.Count;
        float* w0 = panel;
        float* w1 = panel + panelStride;
        float* w2 = panel + (2 * panelStride);
        float* w3 = panel + (3 * panelStride);
        float* w4 = panel + (4 * panelStride);
        float* w5 = panel + (5 * panelStride);
        float* w6 = panel + (6 * panelStride);
        float* w7 = panel + (7 * panelStride);
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero, c6 = TS.Zero, c7 = TS.Zero;
        for (int k = 0; k < depth; k++, xt += xtStride)
        {
            TV x0 = TS.Load(xt);
            c0 = TS.MultiplyAdd(TS.Broadcast(w0[k]), x0, c0);
            c1 = TS.MultiplyAdd(TS.Broadcast(w1[k]), x0, c1);
            c2 = TS.MultiplyAdd(TS.Broadcast(w2[k]), x0, c2);
            c3 = TS.MultiplyAdd(TS.Broadcast(w3[k]), x0, c3);
            c4 = TS.MultiplyAdd(TS.Broadcast(w4[k]), x0, c4);
            c5 = TS.MultiplyAdd(TS.Broadcast(w5[k]), x0, c5);
            c6 = TS.MultiplyAdd(TS.Broadcast(w6[k]), x0, c6);
            c7 = TS.MultiplyAdd(TS.Broadcast(w7[k]), x0, c7);
        }

        TS.Store(tile, c0);
        TS.Store(tile + count, c1);
        TS.Store(tile + (2 * count), c2);
        TS.Store(tile + (3 * count), c3);
        TS.Store(tile + (4 * count), c4);
        TS.Store(tile + (5 * count), c5);
        TS.Store(tile + (6 * count), c6);
        TS.Store(tile + (7 * count), c7);
    }
}
