using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The 512-bit tier's K-quant micro-kernel: one <see cref="KWidePanel"/> (32 rows, two 16-row halves) × TN.Count tokens
/// (4 or 6) of Q8_K activations (<see cref="KPanelQuantizeJob{TS, TV}"/>). .NET has no 512-bit vpdpbusd, but vpmaddubsw
/// (unsigned quants × the token's 4 int8 activations broadcast) runs at full width on Zen 5: per row it gives two int16 pair
/// sums (values k ≡ 0,1 and k ≡ 2,3 mod 4), added with wrapping vpaddw over a sub-block's groups; then one vpmaddwd by
/// the row's (sc, sc) gives sc·s_sub in int32. Only the final int16 has to fit: Q4_K 16 products ≤ 16·15·127 = 30480;
/// Q6_K starts each lane at −32·(its pair sums of x) (<see cref="KPanelQuantizeJob{TS, TV}"/>), ending at Σ (q − 32)·x,
/// |·| ≤ 8·32·127 = 32512 (Q8_K's quants are within ±127). Everything else is <see cref="KPanelTile"/>'s order, so the bits
/// are the same: per super-block, per 64 values, exact int32 main = Σ sc_sub·s_sub, f = fma(d_w·d_x, (float)main, f);
/// Q4_K's g = fma(dmin_w·d_x, (float)min, g) in its own pass first; the store is f − g (+ bias).
/// Registers: per token and half an int16 sum and an int32 main (24 for six tokens), the two halves' weights, a broadcast and
/// the scales; f and g live in L1 (touched once per 64 values). The JIT keeps all of them in zmm0–27 (no spills in the loop).
/// Against <see cref="KPanelTile"/> at 128 tokens, `bench kernels --only gemm --tokens 128 --quick --cpu-time --threads 1`
/// (shared 2-core Zen 5 at load 4–5, medians of 3 interleaved, ms, with <see cref="KWidePanel"/>'s transposing pack):
/// Q4_K q/o 3.59 → 2.40, k/v 0.92 → 0.52, gate/up 20.4 → 12.6, down 20.3 → 14.5; Q6_K q/o 3.10 → 1.74, k/v 0.63 → 0.52,
/// gate/up 18.0 → 10.2, down 18.5 → 10.7. Before that pack (scalar int stores), four-token tiles only were within 3 % of
/// six (one set of 3 interleaved runs), so six, with 4-token tiles for the rest.
/// </summary>
internal static unsafe class KWideTile
{
    /// <summary>
    /// y[t0 + t, row0 + r] for t &lt; <paramref name="validTokens"/>, r &lt; <paramref name="validRows"/>. x, xd and xs point
    /// at token t0's quants ([TN.Count, columns]), scales ([TN.Count, columns / 256]) and sums ([TN.Count, columns / 16]); y at
    /// y[t0, row0] ([tokens, rows]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TF, TN>(byte* panel, sbyte* x, float* xd, int* xs, int columns, float* bias, float* y, int rows, int validRows, int validTokens)
        where TF : struct, IKPanelFormat
        where TN : struct, ITokenGroup
    {
        int perPart = TF.SubBlocks / 4;       // sub-blocks per 64 values
        int groups = 16 / perPart;            // 4-value groups per sub-block
        int blocks = columns / 256;
        int sumStride = columns / 16;
        var g = stackalloc Vector512<float>[2 * 6];   // [token][half]
        var f = stackalloc Vector512<float>[2 * 6];
        MinTerms<TF, TN>(panel, xd, xs, columns, g);
        for (int i = 0; i < 2 * TN.Count; i++)
        {
            f[i] = default;
        }

        for (int b = 0; b < blocks; b++, panel += KWidePanel.SuperBlockBytes, x += 256)
        {
            int* scales = (int*)(panel + KWidePanel.ScalesOffset);
            for (int j0 = 0; j0 < TF.SubBlocks; j0 += perPart)
            {
                // m{half}{token}: exact Σ sc·s over the 64 values' sub-blocks.
                Vector512<int> m00 = default, m01 = default, m02 = default, m03 = default, m04 = default, m05 = default;
                Vector512<int> m10 = default, m11 = default, m12 = default, m13 = default, m14 = default, m15 = default;
                for (int j = j0; j < j0 + perPart; j++)
                {
                    // Both halves start at the token's offset (0 for Q4_K): it depends on the activations only.
                    int* start = xs + (TF.SubBlocks * b) + j;
                    Vector512<short> a0 = Start<TF>(start), a1 = Start<TF>(start + sumStride);
                    Vector512<short> a2 = Start<TF>(start + (2 * sumStride)), a3 = Start<TF>(start + (3 * sumStride));
                    Vector512<short> a4 = TN.Count > 4 ? Start<TF>(start + (4 * sumStride)) : default;
                    Vector512<short> a5 = TN.Count > 4 ? Start<TF>(start + (5 * sumStride)) : default;
                    Vector512<short> c0 = a0, c1 = a1, c2 = a2, c3 = a3, c4 = a4, c5 = a5;
                    byte* q = panel + (128 * groups * j);
                    // One pointer per token: the JIT recomputed t·columns in every iteration otherwise.
                    sbyte* x0 = x + (4 * groups * j);
                    sbyte* x1 = x0 + columns;
                    sbyte* x2 = x1 + columns;
                    sbyte* x3 = x2 + columns;
                    sbyte* x4 = x3 + columns;
                    sbyte* x5 = x4 + columns;
                    for (int k = 0; k < 4 * groups; k += 4, q += 128)
                    {
                        var w0 = Vector512.Load(q);
                        var w1 = Vector512.Load(q + 64);
                        var xb = Broadcast(x0 + k);
                        a0 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                        c0 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                        xb = Broadcast(x1 + k);
                        a1 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                        c1 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                        xb = Broadcast(x2 + k);
                        a2 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                        c2 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                        xb = Broadcast(x3 + k);
                        a3 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                        c3 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                        if (TN.Count > 4)
                        {
                            xb = Broadcast(x4 + k);
                            a4 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                            c4 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                            xb = Broadcast(x5 + k);
                            a5 += Avx512BW.MultiplyAddAdjacent(w0, xb);
                            c5 += Avx512BW.MultiplyAddAdjacent(w1, xb);
                        }
                    }

                    var s0 = Vector512.Load(scales + (KWidePanel.Rows * j)).AsInt16();
                    var s1 = Vector512.Load(scales + (KWidePanel.Rows * j) + 16).AsInt16();
                    m00 += Avx512BW.MultiplyAddAdjacent(a0, s0);
                    m10 += Avx512BW.MultiplyAddAdjacent(c0, s1);
                    m01 += Avx512BW.MultiplyAddAdjacent(a1, s0);
                    m11 += Avx512BW.MultiplyAddAdjacent(c1, s1);
                    m02 += Avx512BW.MultiplyAddAdjacent(a2, s0);
                    m12 += Avx512BW.MultiplyAddAdjacent(c2, s1);
                    m03 += Avx512BW.MultiplyAddAdjacent(a3, s0);
                    m13 += Avx512BW.MultiplyAddAdjacent(c3, s1);
                    if (TN.Count > 4)
                    {
                        m04 += Avx512BW.MultiplyAddAdjacent(a4, s0);
                        m14 += Avx512BW.MultiplyAddAdjacent(c4, s1);
                        m05 += Avx512BW.MultiplyAddAdjacent(a5, s0);
                        m15 += Avx512BW.MultiplyAddAdjacent(c5, s1);
                    }
                }

                var d0 = Vector512.Load((float*)(panel + KWidePanel.DOffset));
                var d1 = Vector512.Load((float*)(panel + KWidePanel.DOffset) + 16);
                float* xdb = xd + b;
                Fold(f, d0, d1, xdb[0], m00, m10);
                Fold(f + 2, d0, d1, xdb[blocks], m01, m11);
                Fold(f + 4, d0, d1, xdb[2 * blocks], m02, m12);
                Fold(f + 6, d0, d1, xdb[3 * blocks], m03, m13);
                if (TN.Count > 4)
                {
                    Fold(f + 8, d0, d1, xdb[4 * blocks], m04, m14);
                    Fold(f + 10, d0, d1, xdb[5 * blocks], m05, m15);
                }
            }
        }

        // Q6_K's g stays +0, and f − (+0) is f bit for bit (−0 included).
        for (int t = 0; t < TN.Count && t < validTokens; t++)
        {
            float* yt = y + ((long)t * rows);
            Store(f[2 * t] - g[2 * t], bias, yt, validRows);
            Store(f[(2 * t) + 1] - g[(2 * t) + 1], bias == null ? null : bias + 16, yt + 16, validRows - 16);
        }
    }

    /// <summary>One token's two halves: f[h] = fma(d_h·d_x, (float)main_h, f[h]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(Vector512<float>* f, Vector512<float> d0, Vector512<float> d1, float xd, Vector512<int> main0, Vector512<int> main1)
    {
        var dx = Vector512.Create(xd);
        f[0] = Vector512.FusedMultiplyAdd(d0 * dx, Vector512.ConvertToSingle(main0), f[0]);
        f[1] = Vector512.FusedMultiplyAdd(d1 * dx, Vector512.ConvertToSingle(main1), f[1]);
    }

    /// <summary>A sub-block's int16 lanes before its quants: 0 for Q4_K; Q6_K's −32·(pair sums), two int16 in the int32 at <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Start<TF>(int* sum)
        where TF : struct, IKPanelFormat
        => TF.HasMins ? default : Vector512.Create(*sum).AsInt16();

    /// <summary>
    /// Q4_K's min term of each token and half, g[2t + h] (+0 for Q6_K): per super-block, per 64 values (sub-blocks j0 and
    /// j0 + 1) n = m[j0]·Σq8[j0] + m[j0 + 1]·Σq8[j0 + 1], exact; g = fma(dmin·d_x, (float)n, g), in the order of the main sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinTerms<TF, TN>(byte* panel, float* xd, int* xs, int columns, Vector512<float>* g)
        where TF : struct, IKPanelFormat
        where TN : struct, ITokenGroup
    {
        for (int i = 0; i < 2 * TN.Count; i++)
        {
            g[i] = default;
        }

        if (!TF.HasMins)
        {
            return;
        }

        int blocks = columns / 256;
        int sumStride = columns / 16;
        for (int b = 0; b < blocks; b++, panel += KWidePanel.SuperBlockBytes)
        {
            var dMin0 = Vector512.Load((float*)(panel + KWidePanel.DMinOffset));
            var dMin1 = Vector512.Load((float*)(panel + KWidePanel.DMinOffset) + 16);
            int* mins = (int*)(panel + KWidePanel.MinsOffset);
            // Per half, sub-blocks (j0, j0 + 1) of every row as an int16 pair, for j0 = 0, 2, 4, 6: shared by the tokens.
            Vector512<short> p00 = MinPair(mins, 0, 0), p01 = MinPair(mins, 0, 1), p20 = MinPair(mins, 2, 0), p21 = MinPair(mins, 2, 1);
            Vector512<short> p40 = MinPair(mins, 4, 0), p41 = MinPair(mins, 4, 1), p60 = MinPair(mins, 6, 0), p61 = MinPair(mins, 6, 1);
            for (int t = 0; t < TN.Count; t++)
            {
                int* sums = xs + (t * sumStride) + (8 * b);
                var dx = Vector512.Create(xd[(t * blocks) + b]);
                Vector512<float> dm0 = dMin0 * dx, dm1 = dMin1 * dx;
                Vector512<float> g0 = g[2 * t], g1 = g[(2 * t) + 1];
                var s = SumPair(sums, 0);
                g0 = Vector512.FusedMultiplyAdd(dm0, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p00, s)), g0);
                g1 = Vector512.FusedMultiplyAdd(dm1, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p01, s)), g1);
                s = SumPair(sums, 2);
                g0 = Vector512.FusedMultiplyAdd(dm0, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p20, s)), g0);
                g1 = Vector512.FusedMultiplyAdd(dm1, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p21, s)), g1);
                s = SumPair(sums, 4);
                g0 = Vector512.FusedMultiplyAdd(dm0, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p40, s)), g0);
                g1 = Vector512.FusedMultiplyAdd(dm1, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p41, s)), g1);
                s = SumPair(sums, 6);
                g[2 * t] = Vector512.FusedMultiplyAdd(dm0, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p60, s)), g0);
                g[(2 * t) + 1] = Vector512.FusedMultiplyAdd(dm1, Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(p61, s)), g1);
            }
        }
    }

    /// <summary>
    /// Half <paramref name="half"/>'s 16 rows' mins of sub-blocks j0 and j0 + 1 as int16 pairs (low: j0), for vpmaddwd: 6-bit
    /// mins, so the shift and or are exact. One vpmaddwd then gives m[j0]·s[j0] + m[j0 + 1]·s[j0 + 1] exactly, where two
    /// vpmulld and a vpaddd made the same int32 (the min terms had taken a fifth of a 512-token Q4_K matmul). `bench kernels
    /// --only gemm --tokens 512,32 --dtypes Q4_K`, interleaved A/B in one process, medians of 5 (2026-12-08): 512 tokens gate/up
    /// 260 → 282 GFLOP/s on one thread and 526 → 585 on two, the other shapes +5–21 %; 32 tokens +2–11 %.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> MinPair(int* mins, int j0, int half)
    {
        int* first = mins + (KWidePanel.Rows * j0) + (16 * half);
        return (Vector512.Load(first) | (Vector512.Load(first + KWidePanel.Rows) << 16)).AsInt16();
    }

    /// <summary>A token's Σq8 of sub-blocks j0 and j0 + 1 (|Σ| ≤ 32·127, exact in int16) as one int16 pair in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> SumPair(int* sums, int j0) =>
        Vector512.Create((sums[j0] & 0xFFFF) | (sums[j0 + 1] << 16)).AsInt16();

    /// <summary>One token's 16 outputs of a half (+ bias; none at all without one, so −0 stays −0); a short half stores its real rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> f, float* bias, float* y, int validRows)
    {
        if (validRows >= 16)
        {
            (bias == null ? f : f + Vector512.Load(bias)).Store(y);
            return;
        }

        for (int r = 0; r < validRows; r++)
        {
            y[r] = bias == null ? f.GetElement(r) : f.GetElement(r) + bias[r];
        }
    }

    /// <summary>4 activation bytes (one group of one token) in every lane: vpmaddubsw's signed operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Broadcast(sbyte* x) => Vector512.Create(*(int*)x).AsSByte();
}
