using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// GEMM register tiles: 8 weight rows × 1 or 2 vectors of tokens, accumulated over k in registers.
/// Lanes run along tokens, so the weight is a broadcast scalar and the activations come from the
/// transposed block xt ([k, tokens]); no horizontal sums are needed.
/// panel: 8 rows of f32 weights, row r at panel + r·panelStride. acc: the 8 rows' running sums, row r at
/// acc + r·accStride ([8, vectors·Count] of a [rows, tokens] buffer): the first k chunk starts them at zero, later
/// ones continue them, so each output is one fma chain over all of k and nothing is scattered per chunk.
/// </summary>
internal static unsafe class GemmTiles
{
    public const int Rows = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8x2<TS, TV>(float* panel, long panelStride, float* xt, int xtStride, int depth, float* acc, int accStride, bool first)
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
        float* a0 = acc;
        float* a1 = acc + accStride;
        float* a2 = acc + (2 * accStride);
        float* a3 = acc + (3 * accStride);
        float* a4 = acc + (4 * accStride);
        float* a5 = acc + (5 * accStride);
        float* a6 = acc + (6 * accStride);
        float* a7 = acc + (7 * accStride);
        TV c00 = Start<TS, TV>(a0, first), c01 = Start<TS, TV>(a0 + count, first), c10 = Start<TS, TV>(a1, first), c11 = Start<TS, TV>(a1 + count, first);
        TV c20 = Start<TS, TV>(a2, first), c21 = Start<TS, TV>(a2 + count, first), c30 = Start<TS, TV>(a3, first), c31 = Start<TS, TV>(a3 + count, first);
        TV c40 = Start<TS, TV>(a4, first), c41 = Start<TS, TV>(a4 + count, first), c50 = Start<TS, TV>(a5, first), c51 = Start<TS, TV>(a5 + count, first);
        TV c60 = Start<TS, TV>(a6, first), c61 = Start<TS, TV>(a6 + count, first), c70 = Start<TS, TV>(a7, first), c71 = Start<TS, TV>(a7 + count, first);
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

        TS.Store(a0, c00);
        TS.Store(a0 + count, c01);
        TS.Store(a1, c10);
        TS.Store(a1 + count, c11);
        TS.Store(a2, c20);
        TS.Store(a2 + count, c21);
        TS.Store(a3, c30);
        TS.Store(a3 + count, c31);
        TS.Store(a4, c40);
        TS.Store(a4 + count, c41);
        TS.Store(a5, c50);
        TS.Store(a5 + count, c51);
        TS.Store(a6, c60);
        TS.Store(a6 + count, c61);
        TS.Store(a7, c70);
        TS.Store(a7 + count, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows8x1<TS, TV>(float* panel, long panelStride, float* xt, int xtStride, int depth, float* acc, int accStride, bool first)
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
        TV c0 = Start<TS, TV>(acc, first), c1 = Start<TS, TV>(acc + accStride, first), c2 = Start<TS, TV>(acc + (2 * accStride), first);
        TV c3 = Start<TS, TV>(acc + (3 * accStride), first), c4 = Start<TS, TV>(acc + (4 * accStride), first), c5 = Start<TS, TV>(acc + (5 * accStride), first);
        TV c6 = Start<TS, TV>(acc + (6 * accStride), first), c7 = Start<TS, TV>(acc + (7 * accStride), first);
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

        TS.Store(acc, c0);
        TS.Store(acc + accStride, c1);
        TS.Store(acc + (2 * accStride), c2);
        TS.Store(acc + (3 * accStride), c3);
        TS.Store(acc + (4 * accStride), c4);
        TS.Store(acc + (5 * accStride), c5);
        TS.Store(acc + (6 * accStride), c6);
        TS.Store(acc + (7 * accStride), c7);
    }

    /// <summary>A running sum: zero in the first k chunk, the stored partial sum after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Start<TS, TV>(float* acc, bool first)
        where TS : struct, ISimd<TV>
        where TV : struct
        => first ? TS.Zero : TS.Load(acc);
}
