using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The K-quant panel GEMM's micro-kernel: one <see cref="KWeightPanel"/> (8 rows) × <see cref="Tokens"/> tokens of Q8_K
/// activations (<see cref="KPanelQuantizeJob{TS, TV}"/>). Lanes are 8 consecutive outputs of one token. Order, per (row, token),
/// that of llama.cpp's repacked ggml_gemm_q4_K_8x8_q8_K (AVX2): per super-block, per 64 values in order, an exact int32
/// main = Σ sc_sub · s_sub over the 64 values' sub-blocks (Q4_K: 2 of 32, Q6_K: 4 of 16) with s_sub = Σ q·q8 (vpdpbusd, the
/// weights unsigned, then one vpmulld by the rows' scale vector; Q6_K's s_sub starts at −32·Σ q8, making it Σ (q − 32)·q8),
/// and f = fma(d_w·d_x, (float)main, f). Q4_K beside it: min = m·Σq8 of the same two sub-blocks (exact),
/// g = fma(dmin_w·d_x, (float)min, g); the store is f − g (llama.cpp keeps the same float sum and float min sum and subtracts
/// at the end), then + bias (none at all without one). Q6_K, which this llama.cpp does not repack, takes the same order.
/// Bounds: |s_sub| ≤ 32·15·127 (Q4_K) or 16·32·127 (Q6_K), times |sc| ≤ 63 or 128, over 2 or 4 sub-blocks: under 2^23
/// (Q4_K) and 2^26 (Q6_K), and min ≤ 2·63·32·127: every integer step is exact in int32 and the one rounding, (float)main,
/// is the same instruction on every tier, so all tiers give the same bits.
/// Four tokens a tile, not PanelTile's eight: four tokens' f, g, d·d_x, main and sub-block accumulators already take 20 vectors.
/// </summary>
internal static unsafe class KPanelTile
{
    public const int Tokens = 4;

    /// <summary>
    /// y[t0 + t, row0 + r] for t &lt; <paramref name="validTokens"/>, r &lt; <paramref name="validRows"/>. x, xd and xs point
    /// at token t0's quants ([Tokens, columns]), scales ([Tokens, columns / 256]) and sums ([Tokens, columns / 16]); y at
    /// y[t0, row0] ([tokens, rows]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV>(TensorDType type, byte* panel, sbyte* x, float* xd, int* xs, int columns, float* bias, float* y, int rows, int validRows, int validTokens)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        bool q4k = type == TensorDType.Q4_K;
        int subBlocks = q4k ? 8 : 16;         // per super-block
        int perPart = subBlocks / 4;          // sub-blocks per 64 values
        int groups = 64 / subBlocks;          // 4-value groups per sub-block
        int blocks = columns / 256;
        int sumStride = columns / 16;
        Vector256<float> f0 = default, f1 = default, f2 = default, f3 = default;
        Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
        for (int b = 0; b < blocks; b++, panel += KWeightPanel.SuperBlockBytes, x += 256)
        {
            int* scales = (int*)(panel + KWeightPanel.ScalesOffset);
            var d = Vector256.Load((float*)(panel + KWeightPanel.DOffset));
            var dx0 = d * Vector256.Create(xd[b]);
            var dx1 = d * Vector256.Create(xd[blocks + b]);
            var dx2 = d * Vector256.Create(xd[(2 * blocks) + b]);
            var dx3 = d * Vector256.Create(xd[(3 * blocks) + b]);
            for (int j0 = 0; j0 < subBlocks; j0 += perPart)
            {
                Vector256<int> m0 = default, m1 = default, m2 = default, m3 = default;
                for (int j = j0; j < j0 + perPart; j++)
                {
                    // Q4_K: s starts at 0; Q6_K: at −32·Σ q8 of the 16 values (xs holds it), undoing the unsigned q's offset.
                    int* start = xs + (subBlocks * b) + j;
                    Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
                    if (!q4k)
                    {
                        s0 = Vector256.Create(start[0]);
                        s1 = Vector256.Create(start[sumStride]);
                        s2 = Vector256.Create(start[2 * sumStride]);
                        s3 = Vector256.Create(start[3 * sumStride]);
                    }

                    byte* q = panel + (32 * groups * j);
                    sbyte* xj = x + (4 * groups * j);
                    for (int g = 0; g < groups; g++, q += 32, xj += 4)
                    {
                        var w = Vector256.Load(q);
                        s0 = TS.DotQ8Biased(s0, w, Broadcast(xj));
                        s1 = TS.DotQ8Biased(s1, w, Broadcast(xj + columns));
                        s2 = TS.DotQ8Biased(s2, w, Broadcast(xj + (2 * columns)));
                        s3 = TS.DotQ8Biased(s3, w, Broadcast(xj + (3 * columns)));
                    }

                    var scale = Vector256.Load(scales + (KWeightPanel.Rows * j));
                    m0 += s0 * scale;
                    m1 += s1 * scale;
                    m2 += s2 * scale;
                    m3 += s3 * scale;
                }

                f0 = Vector256.FusedMultiplyAdd(dx0, Vector256.ConvertToSingle(m0), f0);
                f1 = Vector256.FusedMultiplyAdd(dx1, Vector256.ConvertToSingle(m1), f1);
                f2 = Vector256.FusedMultiplyAdd(dx2, Vector256.ConvertToSingle(m2), f2);
                f3 = Vector256.FusedMultiplyAdd(dx3, Vector256.ConvertToSingle(m3), f3);
                if (q4k)
                {
                    MinPart(panel, j0, xs + (8 * b) + j0, sumStride, xd + b, blocks, ref g0, ref g1, ref g2, ref g3);
                }
            }
        }

        // Q6_K's g stays +0, and f − (+0) is f bit for bit (−0 included).
        PanelTile.Store(f0 - g0, bias, y, validRows, 0 < validTokens);
        PanelTile.Store(f1 - g1, bias, y + rows, validRows, 1 < validTokens);
        PanelTile.Store(f2 - g2, bias, y + (2L * rows), validRows, 2 < validTokens);
        PanelTile.Store(f3 - g3, bias, y + (3L * rows), validRows, 3 < validTokens);
    }

    /// <summary>
    /// Q4_K's min term for sub-blocks j0 and j0 + 1 (64 values): n = m[j0]·Σq8[j0] + m[j0 + 1]·Σq8[j0 + 1], exact;
    /// g = fma(dmin·d_x, (float)n, g). sums and xd point at token 0's Σ q8 of sub-block j0 and d of the super-block
    /// (token t at t·sumStride and t·blocks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinPart(
        byte* panel, int j0, int* sums, int sumStride, float* xd, int blocks,
        ref Vector256<float> g0, ref Vector256<float> g1, ref Vector256<float> g2, ref Vector256<float> g3)
    {
        int* mins = (int*)(panel + KWeightPanel.MinsOffset) + (KWeightPanel.Rows * j0);
        var min0 = Vector256.Load(mins);
        var min1 = Vector256.Load(mins + KWeightPanel.Rows);
        var n0 = (min0 * Vector256.Create(sums[0])) + (min1 * Vector256.Create(sums[1]));
        var n1 = (min0 * Vector256.Create(sums[sumStride])) + (min1 * Vector256.Create(sums[sumStride + 1]));
        var n2 = (min0 * Vector256.Create(sums[2 * sumStride])) + (min1 * Vector256.Create(sums[(2 * sumStride) + 1]));
        var n3 = (min0 * Vector256.Create(sums[3 * sumStride])) + (min1 * Vector256.Create(sums[(3 * sumStride) + 1]));
        var dMin = Vector256.Load((float*)(panel + KWeightPanel.DMinOffset));
        g0 = Vector256.FusedMultiplyAdd(dMin * Vector256.Create(xd[0]), Vector256.ConvertToSingle(n0), g0);
        g1 = Vector256.FusedMultiplyAdd(dMin * Vector256.Create(xd[blocks]), Vector256.ConvertToSingle(n1), g1);
        g2 = Vector256.FusedMultiplyAdd(dMin * Vector256.Create(xd[2 * blocks]), Vector256.ConvertToSingle(n2), g2);
        g3 = Vector256.FusedMultiplyAdd(dMin * Vector256.Create(xd[3 * blocks]), Vector256.ConvertToSingle(n3), g3);
    }

    /// <summary>4 activation bytes (one group of one token) in every lane: vpdpbusd's signed operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();
}
