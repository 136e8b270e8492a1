using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The panel GEMM's micro-kernel: one <see cref="WeightPanel"/> (8 rows) × TN.Count tokens of unsigned activations
/// (<see cref="PanelQuantizeJob{TS, TV}"/>). Per block and token the integer accumulator starts at the panel's
/// −128·Σw and takes 8 vpdpbusd (one per 4-value group, the activations' 4 bytes broadcast against the 8 rows' 4 bytes), so
/// its lane r ends at the exact Σ w·x of row r; then acc = fma(d_w·d_x, (float)Σ, acc). Per (row, token) that is
/// llama.cpp's repacked GEMM order (ggml_gemm_q4_0_8x8_q8_0: blocks in order, one fma each), not ggml_vec_dot's 8 lanes
/// and final horizontal sum. A vector's 8 lanes are 8 consecutive outputs of one token: one store, no horizontal sums.
/// Every tier gives the same bits: the integer sums are exact, and the f32 steps are the same single operations.
/// </summary>
internal static unsafe class PanelTile
{
    /// <summary>
    /// y[t0 + t, row0 + r] for t &lt; <paramref name="validTokens"/>, r &lt; <paramref name="validRows"/>. x and xd point at
    /// token t0's quants ([TN.Count, columns] bytes) and scales ([TN.Count, columns / 32]); y at y[t0, row0] ([tokens, rows]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN>(byte* panel, byte* x, float* xd, int columns, float* bias, float* y, int rows, int validRows, int validTokens)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        int blocks = columns / 32;
        Vector256<float> f0 = default, f1 = default, f2 = default, f3 = default, f4 = default, f5 = default, f6 = default, f7 = default;
        for (int b = 0; b < blocks; b++, panel += WeightPanel.BlockBytes, x += 32, xd++)
        {
            var correction = Vector256.Load((int*)(panel + WeightPanel.CorrectionsOffset));
            Vector256<int> i0 = correction, i1 = correction, i2 = correction, i3 = correction;
            Vector256<int> i4 = correction, i5 = correction, i6 = correction, i7 = correction;
            for (int g = 0; g < 32; g += 4)
            {
                var w = Vector256.Load((sbyte*)(panel + (8 * g)));
                i0 = TS.DotQ8Biased(i0, Broadcast(x + g), w);
                i1 = TS.DotQ8Biased(i1, Broadcast(x + columns + g), w);
                i2 = TS.DotQ8Biased(i2, Broadcast(x + (2 * columns) + g), w);
                i3 = TS.DotQ8Biased(i3, Broadcast(x + (3 * columns) + g), w);
                if (TN.Count > 4)
                {
                    i4 = TS.DotQ8Biased(i4, Broadcast(x + (4 * columns) + g), w);
                    i5 = TS.DotQ8Biased(i5, Broadcast(x + (5 * columns) + g), w);
                    i6 = TS.DotQ8Biased(i6, Broadcast(x + (6 * columns) + g), w);
                    i7 = TS.DotQ8Biased(i7, Broadcast(x + (7 * columns) + g), w);
                }
            }

            var dw = Vector256.Load((float*)(panel + WeightPanel.ScalesOffset));
            f0 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[0]), Vector256.ConvertToSingle(i0), f0);
            f1 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[blocks]), Vector256.ConvertToSingle(i1), f1);
            f2 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[2 * blocks]), Vector256.ConvertToSingle(i2), f2);
            f3 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[3 * blocks]), Vector256.ConvertToSingle(i3), f3);
            if (TN.Count > 4)
            {
                f4 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[4 * blocks]), Vector256.ConvertToSingle(i4), f4);
                f5 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[5 * blocks]), Vector256.ConvertToSingle(i5), f5);
                f6 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[6 * blocks]), Vector256.ConvertToSingle(i6), f6);
                f7 = Vector256.FusedMultiplyAdd(dw * Vector256.Create(xd[7 * blocks]), Vector256.ConvertToSingle(i7), f7);
            }
        }

        Store(f0, bias, y, validRows, 0 < validTokens);
        Store(f1, bias, y + rows, validRows, 1 < validTokens);
        Store(f2, bias, y + (2L * rows), validRows, 2 < validTokens);
        Store(f3, bias, y + (3L * rows), validRows, 3 < validTokens);
        if (TN.Count > 4)
        {
            Store(f4, bias, y + (4L * rows), validRows, 4 < validTokens);
            Store(f5, bias, y + (5L * rows), validRows, 5 < validTokens);
            Store(f6, bias, y + (6L * rows), validRows, 6 < validTokens);
            Store(f7, bias, y + (7L * rows), validRows, 7 < validTokens);
        }
    }

    /// <summary>4 activation bytes (one group of one token) in every lane: vpdpbusd's unsigned operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast(byte* x) => Vector256.Create(*(int*)x).AsByte();

    /// <summary>One token's 8 outputs (+ bias; none at all without one, as in ggml, so −0 stays −0); a short last panel stores its real rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> f, float* bias, float* y, int validRows, bool valid)
    {
        if (!valid)
        {
            return;
        }

        if (validRows == WeightPanel.Rows)
        {
            (bias == null ? f : f + Vector256.Load(bias)).Store(y);
            return;
        }

        for (int r = 0; r < validRows; r++)
        {
            y[r] = bias == null ? f.GetElement(r) : f.GetElement(r) + bias[r];
        }
    }
}
