using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q6_K weights against Q8_K activations (<see cref="Q8KActivations"/>), each (row, token) in the order of llama.cpp's
/// AVX2 ggml_vec_dot_q6_K_q8_K: per super-block, 8 exact int32 lanes, lane k summing scale · q8 · (q6 − 32) over
/// elements 32c + 4k .. 32c + 4k + 3 of every 32-value chunk c; then acc[k] = fma(x.d · fp32(w.d), lane k, acc[k]) and
/// hsum_float_8 at the end. The lanes are exact integers, so any order of forming them gives ggml's bits: per chunk,
/// vpdpbusd of the unsigned q6 (0..63) against q8 starting from −32·Σ q8 (precomputed per token) gives Σ q8 · (q6 − 32)
/// per lane, and all four values of a lane share one per-16 scale, multiplied in as int32. One row at a time keeps one
/// weight stream (decode streams each byte once); each chunk is unpacked once for all tokens of the group. A single
/// token (decode) hands the whole super-block to <see cref="ISimd{TV}.DotQ6K"/>, where AVX-512 takes two chunks per
/// instruction: in cache on one thread ~24 → ~33 GB/s (noisy, shared machine; Q8_0 ~31).
/// </summary>
internal static unsafe class Q6Rows
{
    private const int Size = TensorDTypeInfo.Q6_KBlockSize;
    private const int Bytes = TensorDTypeInfo.Q6_KBlockBytes;

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        int columns = op.Columns;
        int blocks = columns / Size;
        long rowBytes = (long)blocks * Bytes;
        float* halfTable = HalfTable.Pointer;
        sbyte* x0 = op.XQuants + ((long)t0 * columns);          // [TN.Count, columns], token-major
        int* o0 = op.XCorrections + ((long)t0 * (columns / 4)); // [TN.Count, columns / 4]
        float* d0 = op.XScales + ((long)t0 * blocks);           // [TN.Count, blocks]
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* block = op.Weights + (r * rowBytes);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < blocks; b++, block += Bytes)
            {
                GemvRows.PrefetchBlock<TS, TV>(block + GemvRows.PrefetchDistance, Bytes);
                var chunk = new TokenChunks(x0 + ((long)b * Size), o0 + ((long)b * Size / 4), columns);
                Vector256<int> l0 = default, l1 = default, l2 = default, l3 = default;
                var packedScales = Vector128.Load((sbyte*)block + 192);
                if (TN.Count == 1)
                {
                    // Decode: nothing to share between tokens, so the tier may take the super-block its widest way.
                    l0 = TS.DotQ6K(block, x0 + ((long)b * Size), o0 + ((long)b * Size / 4), packedScales);
                }
                else
                {
                    Chunks<TS, TV, TN>(block, packedScales, chunk, ref l0, ref l1, ref l2, ref l3);
                }

                float wd = halfTable[*(ushort*)(block + 208)];
                float* xd = d0 + b;
                a0 = GgmlQ8.Accumulate(Vector256.Create(xd[0] * wd), l0, a0);
                if (TN.Count > 1)
                {
                    a1 = GgmlQ8.Accumulate(Vector256.Create(xd[blocks] * wd), l1, a1);
                }

                if (TN.Count > 2)
                {
                    a2 = GgmlQ8.Accumulate(Vector256.Create(xd[2 * blocks] * wd), l2, a2);
                }

                if (TN.Count > 3)
                {
                    a3 = GgmlQ8.Accumulate(Vector256.Create(xd[3 * blocks] * wd), l3, a3);
                }
            }

            GemvRows.Store<TN>(op, t0, r, GgmlQ8.Sum(a0), GgmlQ8.Sum(a1), GgmlQ8.Sum(a2), GgmlQ8.Sum(a3));
        }
    }

    /// <summary>The super-block for a group of tokens, each chunk unpacked once for all of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunks<TS, TV, TN>(
        byte* block, Vector128<sbyte> packedScales, in TokenChunks chunk,
        ref Vector256<int> l0, ref Vector256<int> l1, ref Vector256<int> l2, ref Vector256<int> l3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        // Scales of sub-blocks 0–7 and 8–15 as int32; chunk c takes 2c (lanes 0–3) and 2c + 1 (lanes 4–7).
        var lowScales = Widen(Vector128.WidenLower(packedScales));
        var highScales = Widen(Vector128.WidenUpper(packedScales));
        for (int h = 0; h < 2; h++)
        {
            // 128 values: ql bytes j and j + 32 hold chunks 4h, 4h + 1 (low nibbles) and 4h + 2, 4h + 3 (high);
            // qh byte j holds the top two bits of all four, in bit pairs 0–1, 2–3, 4–5, 6–7.
            var qlLow = Vector256.Load(block + (64 * h)).AsUInt16();
            var qlHigh = Vector256.Load(block + (64 * h) + 32).AsUInt16();
            var qh = Vector256.Load(block + 128 + (32 * h)).AsUInt16();
            var scales = h == 0 ? lowScales : highScales;
            int c = 4 * h;
            Chunk<TS, TV, TN>(Quants(qlLow, qh << 4), ScaleLanes(scales, 0), chunk, c, ref l0, ref l1, ref l2, ref l3);
            Chunk<TS, TV, TN>(Quants(qlHigh, qh << 2), ScaleLanes(scales, 2), chunk, c + 1, ref l0, ref l1, ref l2, ref l3);
            Chunk<TS, TV, TN>(Quants(qlLow >> 4, qh), ScaleLanes(scales, 4), chunk, c + 2, ref l0, ref l1, ref l2, ref l3);
            Chunk<TS, TV, TN>(Quants(qlHigh >> 4, qh >> 2), ScaleLanes(scales, 6), chunk, c + 3, ref l0, ref l1, ref l2, ref l3);
        }
    }

    /// <summary>One 32-value chunk against every token of the group: lanes += scale · Σ q8 · (q6 − 32), per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk<TS, TV, TN>(
        Vector256<byte> q6, Vector256<int> scales, in TokenChunks tokens, int c,
        ref Vector256<int> l0, ref Vector256<int> l1, ref Vector256<int> l2, ref Vector256<int> l3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        l0 += TS.DotQ8Biased(tokens.Offsets(0, c), q6, tokens.Quants(0, c)) * scales;
        if (TN.Count > 1)
        {
            l1 += TS.DotQ8Biased(tokens.Offsets(1, c), q6, tokens.Quants(1, c)) * scales;
        }

        if (TN.Count > 2)
        {
            l2 += TS.DotQ8Biased(tokens.Offsets(2, c), q6, tokens.Quants(2, c)) * scales;
        }

        if (TN.Count > 3)
        {
            l3 += TS.DotQ8Biased(tokens.Offsets(3, c), q6, tokens.Quants(3, c)) * scales;
        }
    }

    /// <summary>
    /// 32 unsigned q6: the low nibble of <paramref name="low"/> and bits 4–5 of <paramref name="high"/> (the qh pair
    /// already shifted there). 16-bit shifts are fine: the masks keep only bits that stayed inside their byte.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(Vector256<ushort> low, Vector256<ushort> high) =>
        (low.AsByte() & Vector256.Create((byte)0x0F)) | (high.AsByte() & Vector256.Create((byte)0x30));

    /// <summary>Lanes 0–3 take scale j, lanes 4–7 scale j + 1 (a chunk's two 16-value sub-blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScaleLanes(Vector256<int> scales, int j) =>
        Vector256.Shuffle(scales, Vector256.Create(j, j, j, j, j + 1, j + 1, j + 1, j + 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen(Vector128<short> shorts) =>
        Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts));

    /// <summary>One super-block's Q8_K quants and −32·Σ offsets of the group's tokens (token t at t·columns, t·columns/4).</summary>
    private readonly struct TokenChunks(sbyte* quants, int* offsets, int columns)
    {
        private readonly sbyte* _quants = quants;
        private readonly int* _offsets = offsets;
        private readonly int _columns = columns;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<sbyte> Quants(int token, int chunk) => Vector256.Load(_quants + ((long)token * _columns) + (32 * chunk));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Offsets(int token, int chunk) => Vector256.Load(_offsets + ((long)token * (_columns / 4)) + (8 * chunk));
    }
}
