using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

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
/// Registers: four tokens a tile, each with two vpdpbusd chains (even and odd 4-value groups) so that eight chains are in
/// flight as in PanelTile; with main that is 12 integer vectors plus the weights, a broadcast and the scale, all within the
/// 16 registers the JIT gives vpdpbusd's accumulator (with more live vectors it kept the sums in ymm16+ and copied each
/// through a low register around every vpdpbusd). f lives in L1 (touched once per 64 values) and g takes its own pass first:
/// it depends only on the mins and the activations' sums. Measured against the previous tile (one chain per token, f, g and
/// d·d_x in registers: 20 vectors), `bench kernels --only gemm --tokens 128`, 2 threads, medians of 3 interleaved, GFLOP/s:
/// Q6_K gate/up 291 → 342, down 235 → 354, q/o 273 → 327; Q4_K unchanged (~300; one thread at 64 tokens 119 → 167 on down).
/// Runs on the 256-bit and scalar tiers; the 512-bit tier takes <see cref="KWideTile"/> (32 rows × 6 tokens on vpmaddubsw,
/// same bits), 1.5–1.9× faster there at 128 tokens (one thread, CPU time, medians of 3 interleaved, shared machine).
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
    public static void Run<TS, TV, TF>(byte* panel, sbyte* x, float* xd, int* xs, int columns, float* bias, float* y, int rows, int validRows, int validTokens)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TF : struct, IKPanelFormat
    {
        int perPart = TF.SubBlocks / 4;       // sub-blocks per 64 values
        int groups = 16 / perPart;            // 4-value groups per sub-block
        int blocks = columns / 256;
        int sumStride = columns / 16;
        var g = stackalloc Vector256<float>[Tokens];
        var f = stackalloc Vector256<float>[Tokens];
        MinTerms<TF>(panel, xd, xs, columns, g);
        for (int t = 0; t < Tokens; t++)
        {
            f[t] = default;
        }

        for (int b = 0; b < blocks; b++, panel += KWeightPanel.SuperBlockBytes, x += 256)
        {
            int* scales = (int*)(panel + KWeightPanel.ScalesOffset);
            for (int j0 = 0; j0 < TF.SubBlocks; j0 += perPart)
            {
                Vector256<int> m0 = default, m1 = default, m2 = default, m3 = default;
                for (int j = j0; j < j0 + perPart; j++)
                {
                    // Two chains per token (even and odd groups), so eight vpdpbusd chains are in flight, as in PanelTile: four
                    // were bound by its latency. Q4_K: s starts at 0; Q6_K: at −32·Σ q8 of the 16 values (xs holds it),
                    // undoing the unsigned q's offset.
                    int* start = xs + (TF.SubBlocks * b) + j;
                    Vector256<int> s0 = Start<TF>(start), s1 = Start<TF>(start + sumStride);
                    Vector256<int> s2 = Start<TF>(start + (2 * sumStride)), s3 = Start<TF>(start + (3 * sumStride));
                    Vector256<int> o0 = default, o1 = default, o2 = default, o3 = default;
                    byte* q = panel + (32 * groups * j);
                    sbyte* x0 = x + (4 * groups * j);
                    sbyte* x1 = x0 + columns;
                    sbyte* x2 = x1 + columns;
                    sbyte* x3 = x2 + columns;
                    for (int k = 0; k < 4 * groups; k += 8, q += 64)
                    {
                        var w = Vector256.Load(q);
                        s0 = TS.DotQ8Biased(s0, w, Broadcast(x0 + k));
                        s1 = TS.DotQ8Biased(s1, w, Broadcast(x1 + k));
                        s2 = TS.DotQ8Biased(s2, w, Broadcast(x2 + k));
                        s3 = TS.DotQ8Biased(s3, w, Broadcast(x3 + k));
                        w = Vector256.Load(q + 32);
                        o0 = TS.DotQ8Biased(o0, w, Broadcast(x0 + k + 4));
                        o1 = TS.DotQ8Biased(o1, w, Broadcast(x1 + k + 4));
                        o2 = TS.DotQ8Biased(o2, w, Broadcast(x2 + k + 4));
                        o3 = TS.DotQ8Biased(o3, w, Broadcast(x3 + k + 4));
                    }

                    var scale = Vector256.Load(scales + (KWeightPanel.Rows * j));
                    m0 += (s0 + o0) * scale;
                    m1 += (s1 + o1) * scale;
                    m2 += (s2 + o2) * scale;
                    m3 += (s3 + o3) * scale;
                }

                var d = Vector256.Load((float*)(panel + KWeightPanel.DOffset));
                float* xdb = xd + b;
                f[0] = Vector256.FusedMultiplyAdd(d * Vector256.Create(xdb[0]), Vector256.ConvertToSingle(m0), f[0]);
                f[1] = Vector256.FusedMultiplyAdd(d * Vector256.Create(xdb[blocks]), Vector256.ConvertToSingle(m1), f[1]);
                f[2] = Vector256.FusedMultiplyAdd(d * Vector256.Create(xdb[2 * blocks]), Vector256.ConvertToSingle(m2), f[2]);
                f[3] = Vector256.FusedMultiplyAdd(d * Vector256.Create(xdb[3 * blocks]), Vector256.ConvertToSingle(m3), f[3]);
            }
        }

        // Q6_K's g stays +0, and f − (+0) is f bit for bit (−0 included).
        for (int t = 0; t < Tokens; t++)
        {
            PanelTile.Store(f[t] - g[t], bias, y + ((long)t * rows), validRows, t < validTokens);
        }
    }

    /// <summary>Sub-block j's integer sum before its quants: 0 for Q4_K, −32·Σ q8 for Q6_K (precomputed in <paramref name="sum"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Start<TF>(int* sum)
        where TF : struct, IKPanelFormat
        => TF.HasMins ? default : Vector256.Create(*sum);

    /// <summary>
    /// Q4_K's min term of each token, g[t] (+0 for Q6_K): per super-block, per 64 values (sub-blocks j0 and j0 + 1)
    /// n = m[j0]·Σq8[j0] + m[j0 + 1]·Σq8[j0 + 1], exact; g = fma(dmin·d_x, (float)n, g), in the order of the main sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinTerms<TF>(byte* panel, float* xd, int* xs, int columns, Vector256<float>* g)
        where TF : struct, IKPanelFormat
    {
        for (int t = 0; t < Tokens; t++)
        {
            g[t] = default;
        }

        if (!TF.HasMins)
        {
            return;
        }

        int blocks = columns / 256;
        int sumStride = columns / 16;
        for (int b = 0; b < blocks; b++, panel += KWeightPanel.SuperBlockBytes)
        {
            var dMin = Vector256.Load((float*)(panel + KWeightPanel.DMinOffset));
            int* mins = (int*)(panel + KWeightPanel.MinsOffset);
            for (int j0 = 0; j0 < 8; j0 += 2)
            {
                var min0 = Vector256.Load(mins + (KWeightPanel.Rows * j0));
                var min1 = Vector256.Load(mins + (KWeightPanel.Rows * (j0 + 1)));
                for (int t = 0; t < Tokens; t++)
                {
                    int* sums = xs + (t * sumStride) + (8 * b) + j0;
                    var n = (min0 * Vector256.Create(sums[0])) + (min1 * Vector256.Create(sums[1]));
                    g[t] = Vector256.FusedMultiplyAdd(dMin * Vector256.Create(xd[(t * blocks) + b]), Vector256.ConvertToSingle(n), g[t]);
                }
            }
        }
    }

    /// <summary>4 activation bytes (one group of one token) in every lane: vpdpbusd's signed operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();
}

/// <summary>A K-quant's panel shape, as a type: the tile is generic over it, so the JIT fixes the loop counts and drops Q6_K's unused min pass.</summary>
internal interface IKPanelFormat
{
    /// <summary>Sub-blocks per 256-value super-block, each with its own scale: Q4_K 8 of 32, Q6_K 16 of 16.</summary>
    static abstract int SubBlocks { get; }

    /// <summary>Whether the format has a min term (Q4_K's w = d·sc·q − dmin·m) rather than an offset folded into the sums (Q6_K's q − 32).</summary>
    static abstract bool HasMins { get; }
}

internal readonly struct Q4KPanel : IKPanelFormat
{
    public static int SubBlocks => 8;

    public static bool HasMins => true;
}

internal readonly struct Q6KPanel : IKPanelFormat
{
    public static int SubBlocks => 16;

    public static bool HasMins => false;
}
