using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The 4-bit panel GEMM's micro-kernel on AVX-512BW: one <see cref="NibblePanel"/> (32 rows) × TN.Count (4 or 6) tokens of
/// signed Q8_0 activations. Per block, half (16 rows) and token an int16 accumulator starts at −zero·(the token's pair
/// sums) and takes 8 vpmaddubsw (the 16 rows' 4 unsigned nibbles of a group against the token's 4 bytes broadcast: per row
/// two int16 lanes, values 0–1 and 2–3 of the group), added with vpaddw; one vpmaddwd against ones then gives each row's
/// exact Σ (nibble − zero)·x in int32, and acc = fma(d_w·d_x, (float)Σ, acc): the same integers and the same f32 steps as
/// <see cref="PanelTile"/> (llama.cpp's repacked ggml_gemm_q4_0_8x8_q8_0 order), so the same bits.
/// Why: .NET 10 has no 512-bit vpdpbusd, and this CPU (Zen 5, full-width AVX-512) runs a 512-bit vpmaddubsw + vpaddw pair
/// at twice the multiply-adds of one 256-bit vpdpbusd. Bounds (activations within ±127): a pair sum ≤ 2·15·127 and a lane's
/// final Σ (nibble − zero)·x over 16 products ≤ 16·15·127 = 30480 fit int16; vpaddw wraps, so only that final value has to.
/// </summary>
internal static unsafe class NibbleTile
{
    /// <summary>
    /// y[t0 + t, row0 + r] for t &lt; <paramref name="validTokens"/>, r &lt; <paramref name="validRows"/>. x, xd and xp point at
    /// token t0's quants ([TN.Count, columns]), scales and pair sums ([TN.Count, columns / 32]: Σ x of each block's values
    /// 4g, 4g + 1 in the low int16, of 4g + 2, 4g + 3 in the high one); y at y[t0, row0] ([tokens, rows]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TN>(byte* panel, sbyte* x, float* xd, int* xp, int columns, float* bias, float* y, int rows, int validRows, int validTokens)
        where TN : struct, ITokenGroup
    {
        int blocks = columns / 32;
        var ones = Vector512.Create((short)1);
        Vector512<float> fa0 = default, fb0 = default, fa1 = default, fb1 = default, fa2 = default, fb2 = default;
        Vector512<float> fa3 = default, fb3 = default, fa4 = default, fb4 = default, fa5 = default, fb5 = default;
        for (int b = 0; b < blocks; b++, panel += NibblePanel.BlockBytes, x += 32, xd++, xp++)
        {
            // [a: rows 0–15, b: rows 16–31] × token: each row's −zero in both its lanes, times the token's two pair sums.
            var za = Vector512.Load((short*)(panel + NibblePanel.ZerosOffset));
            var zb = Vector512.Load((short*)(panel + NibblePanel.ZerosOffset + 64));
            Vector512<short> a0 = za * Pairs(xp), b0 = zb * Pairs(xp), a1 = za * Pairs(xp + blocks), b1 = zb * Pairs(xp + blocks);
            Vector512<short> a2 = za * Pairs(xp + (2 * blocks)), b2 = zb * Pairs(xp + (2 * blocks));
            Vector512<short> a3 = za * Pairs(xp + (3 * blocks)), b3 = zb * Pairs(xp + (3 * blocks));
            Vector512<short> a4 = default, b4 = default, a5 = default, b5 = default;
            if (TN.Count > 4)
            {
                a4 = za * Pairs(xp + (4 * blocks));
                b4 = zb * Pairs(xp + (4 * blocks));
                a5 = za * Pairs(xp + (5 * blocks));
                b5 = zb * Pairs(xp + (5 * blocks));
            }

            for (int g = 0; g < 32; g += 4)
            {
                byte* group = panel + (NibblePanel.GroupBytes / 4 * g);
                var wa = Vector512.Load(group);
                var wb = Vector512.Load(group + 64);
                var t = Broadcast(x + g);
                a0 += Avx512BW.MultiplyAddAdjacent(wa, t);
                b0 += Avx512BW.MultiplyAddAdjacent(wb, t);
                t = Broadcast(x + columns + g);
                a1 += Avx512BW.MultiplyAddAdjacent(wa, t);
                b1 += Avx512BW.MultiplyAddAdjacent(wb, t);
                t = Broadcast(x + (2 * columns) + g);
                a2 += Avx512BW.MultiplyAddAdjacent(wa, t);
                b2 += Avx512BW.MultiplyAddAdjacent(wb, t);
                t = Broadcast(x + (3 * columns) + g);
                a3 += Avx512BW.MultiplyAddAdjacent(wa, t);
                b3 += Avx512BW.MultiplyAddAdjacent(wb, t);
                if (TN.Count > 4)
                {
                    t = Broadcast(x + (4 * columns) + g);
                    a4 += Avx512BW.MultiplyAddAdjacent(wa, t);
                    b4 += Avx512BW.MultiplyAddAdjacent(wb, t);
                    t = Broadcast(x + (5 * columns) + g);
                    a5 += Avx512BW.MultiplyAddAdjacent(wa, t);
                    b5 += Avx512BW.MultiplyAddAdjacent(wb, t);
                }
            }

            var da = Vector512.Load((float*)(panel + NibblePanel.ScalesOffset));
            var db = Vector512.Load((float*)(panel + NibblePanel.ScalesOffset + 64));
            fa0 = Accumulate(fa0, da, xd[0], a0, ones);
            fb0 = Accumulate(fb0, db, xd[0], b0, ones);
            fa1 = Accumulate(fa1, da, xd[blocks], a1, ones);
            fb1 = Accumulate(fb1, db, xd[blocks], b1, ones);
            fa2 = Accumulate(fa2, da, xd[2 * blocks], a2, ones);
            fb2 = Accumulate(fb2, db, xd[2 * blocks], b2, ones);
            fa3 = Accumulate(fa3, da, xd[3 * blocks], a3, ones);
            fb3 = Accumulate(fb3, db, xd[3 * blocks], b3, ones);
            if (TN.Count > 4)
            {
                fa4 = Accumulate(fa4, da, xd[4 * blocks], a4, ones);
                fb4 = Accumulate(fb4, db, xd[4 * blocks], b4, ones);
                fa5 = Accumulate(fa5, da, xd[5 * blocks], a5, ones);
                fb5 = Accumulate(fb5, db, xd[5 * blocks], b5, ones);
            }
        }

        Store(fa0, fb0, bias, y, validRows, 0 < validTokens);
        Store(fa1, fb1, bias, y + rows, validRows, 1 < validTokens);
        Store(fa2, fb2, bias, y + (2L * rows), validRows, 2 < validTokens);
        Store(fa3, fb3, bias, y + (3L * rows), validRows, 3 < validTokens);
        if (TN.Count > 4)
        {
            Store(fa4, fb4, bias, y + (4L * rows), validRows, 4 < validTokens);
            Store(fa5, fb5, bias, y + (5L * rows), validRows, 5 < validTokens);
        }
    }

    /// <summary>acc = fma(d_w·d_x, (float)Σ, acc), Σ = the int16 lanes of each row added by vpmaddwd (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate(Vector512<float> acc, Vector512<float> dw, float dx, Vector512<short> sums, Vector512<short> ones)
        => Vector512.FusedMultiplyAdd(dw * Vector512.Create(dx), Vector512.ConvertToSingle(Avx512BW.MultiplyAddAdjacent(sums, ones)), acc);

    /// <summary>One token's two pair sums of a block (int16 each) in every pair of lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Pairs(int* pairSums) => Vector512.Create(*pairSums).AsInt16();

    /// <summary>4 activation bytes (one group of one token) in every lane: vpmaddubsw's signed operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Broadcast(sbyte* x) => Vector512.Create(*(int*)x).AsSByte();

    /// <summary>One token's 32 outputs (+ bias; none at all without one, as in ggml, so −0 stays −0); a short last panel stores its real rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> low, Vector512<float> high, float* bias, float* y, int validRows, bool valid)
    {
        if (!valid)
        {
            return;
        }

        if (validRows == NibblePanel.Rows)
        {
            (bias == null ? low : low + Vector512.Load(bias)).Store(y);
            (bias == null ? high : high + Vector512.Load(bias + 16)).Store(y + 16);
            return;
        }

        for (int r = 0; r < validRows; r++)
        {
            float f = r < 16 ? low.GetElement(r) : high.GetElement(r - 16);
            y[r] = bias == null ? f : f + bias[r];
        }
    }
}
