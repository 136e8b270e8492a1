using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q8_0 weights against Q8_0-quantized activations (<see cref="ActivationQuantizer"/>) in register tiles of
/// <c>TR.Count</c> rows × <c>TN.Count</c> tokens (the count types serve rows too): each weight block is offset once
/// for the tile's tokens, each activation block loaded once for its rows. One-row tiles keep a single weight stream
/// for the memory-bound decode of one or two tokens. Every (row, token) output still follows
/// llama.cpp bit for bit (<see cref="GgmlQ8"/>): its own 8-lane accumulator, exact integer lanes, blocks strictly
/// in order; only the interleaving of independent outputs changes.
/// </summary>
internal static unsafe class Q8Tiles
{
    /// <summary>Most weight rows per tile: 4 rows × 4 tokens = 16 accumulators fit the register file beside the operands.</summary>
    public const int Rows = 4;

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0 (a group of <see cref="QuantizeJob{TS, TV}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN, TR>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
        where TR : struct, ITokenGroup
    {
        int columns = op.Columns;
        int blocks = columns / 32;
        long rowBytes = (long)blocks * 34;
        float* halfTable = HalfTable.Pointer;
        // The group's tokens, block after block (QuantizeJob's layout): group t0 starts at t0·columns quants.
        long quantStride = 32L * TN.Count;
        long correctionStride = 8L * TN.Count;

        // [blocks, Rows, 4] fp32(w.d)·fp32(x.d) of the current tile: one 4-wide multiply per row and block instead
        // of one multiply per output, read back as broadcast operands of the FMAs. Written in a pass of its own:
        // reading them right after the store (forwarded, not yet in L1) stalled the dot loop by a quarter.
        float* products = stackalloc float[blocks * Rows * 4];
        var offset = Vector256.Create((byte)0x80);
        for (int r = rowStart; r < rowEnd; r += TR.Count)
        {
            // A short last tile repeats its last row: the copies cost a little compute and are never stored.
            int last = rowEnd - 1;
            byte* w0 = op.Weights + (r * rowBytes);
            byte* w1 = op.Weights + (Math.Min(r + 1, last) * rowBytes);
            byte* w2 = op.Weights + (Math.Min(r + 2, last) * rowBytes);
            byte* w3 = op.Weights + (Math.Min(r + 3, last) * rowBytes);
            Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
            Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
            Vector256<float> a02 = default, a12 = default, a22 = default, a32 = default;
            Vector256<float> a03 = default, a13 = default, a23 = default, a33 = default;

            // Tiles are contiguous rows: prefetch them as one linear stream, TR.Count·34 bytes per block (with four rows,
            // two lines per block leave one line in 17 to the hardware prefetcher), which DRAM serves far better than four
            // streams a row apart. At least a whole tile ahead, so a tile's later rows are covered in time.
            byte* ahead = w0 + Math.Max(TR.Count * rowBytes, GemvRows.PrefetchDistance);
            if (TR.Count > 1)
            {
                // The scale pass is the first to touch the tile's weights, so it carries the prefetch.
                float* scales = op.XScales + ((long)t0 * blocks);   // [TN.Count] of the current block (4 read; lanes past TN.Count unused)
                for (int b = 0; b < blocks; b++, scales += TN.Count, ahead += TR.Count * 34)
                {
                    TS.Prefetch(ahead);
                    TS.Prefetch(ahead + 64);
                    var d = Vector128.Load(scales);
                    long at = b * 34L;
                    (Vector128.Create(halfTable[*(ushort*)(w0 + at)]) * d).Store(products + (b * 16));
                    (Vector128.Create(halfTable[*(ushort*)(w1 + at)]) * d).Store(products + (b * 16) + 4);
                    (Vector128.Create(halfTable[*(ushort*)(w2 + at)]) * d).Store(products + (b * 16) + 8);
                    (Vector128.Create(halfTable[*(ushort*)(w3 + at)]) * d).Store(products + (b * 16) + 12);
                }
            }

            sbyte* q = op.XQuants + ((long)t0 * columns);          // [TN.Count, 32] of the current block
            int* c = op.XCorrections + ((long)t0 * blocks * 8);    // [TN.Count, 8]
            float* p = products;                                   // [Rows, 4] of the current block
            float* xd = op.XScales + ((long)t0 * blocks);          // [TN.Count] of the current block

            for (int b = 0; b < blocks; b++, w0 += 34, w1 += 34, w2 += 34, w3 += 34, q += quantStride, c += correctionStride, p += Rows * 4, xd += TN.Count)
            {
                // One-row tiles serve memory-bound decode: a single pass that prefetches and multiplies scales inline
                // (a separate scale pass measured 1.5× slower there).
                var e0 = default(Vector256<float>);
                if (TR.Count == 1)
                {
                    TS.Prefetch(ahead);
                    ahead += 34;
                    e0 = Vector256.Create(halfTable[*(ushort*)w0]);
                }

                var u0 = Vector256.Load(w0 + 2) ^ offset;
                var u1 = TR.Count > 1 ? Vector256.Load(w1 + 2) ^ offset : default;
                var u2 = TR.Count > 1 ? Vector256.Load(w2 + 2) ^ offset : default;
                var u3 = TR.Count > 1 ? Vector256.Load(w3 + 2) ^ offset : default;
                var x = Vector256.Load(q);
                var l = Vector256.Load(c);
                a00 = GgmlQ8.Accumulate(TR.Count > 1 ? Vector256.Create(p[0]) : e0 * Vector256.Create(xd[0]), TS.DotQ8Biased(l, u0, x), a00);
                if (TR.Count > 1)
                {
                    a10 = GgmlQ8.Accumulate(Vector256.Create(p[4]), TS.DotQ8Biased(l, u1, x), a10);
                    a20 = GgmlQ8.Accumulate(Vector256.Create(p[8]), TS.DotQ8Biased(l, u2, x), a20);
                    a30 = GgmlQ8.Accumulate(Vector256.Create(p[12]), TS.DotQ8Biased(l, u3, x), a30);
                }

                if (TN.Count > 1)
                {
                    x = Vector256.Load(q + 32);
                    l = Vector256.Load(c + 8);
                    a01 = GgmlQ8.Accumulate(TR.Count > 1 ? Vector256.Create(p[1]) : e0 * Vector256.Create(xd[1]), TS.DotQ8Biased(l, u0, x), a01);
                    if (TR.Count > 1)
                    {
                        a11 = GgmlQ8.Accumulate(Vector256.Create(p[5]), TS.DotQ8Biased(l, u1, x), a11);
                        a21 = GgmlQ8.Accumulate(Vector256.Create(p[9]), TS.DotQ8Biased(l, u2, x), a21);
                        a31 = GgmlQ8.Accumulate(Vector256.Create(p[13]), TS.DotQ8Biased(l, u3, x), a31);
                    }
                }

                if (TN.Count > 2)
                {
                    x = Vector256.Load(q + 64);
                    l = Vector256.Load(c + 16);
                    a02 = GgmlQ8.Accumulate(TR.Count > 1 ? Vector256.Create(p[2]) : e0 * Vector256.Create(xd[2]), TS.DotQ8Biased(l, u0, x), a02);
                    if (TR.Count > 1)
                    {
                        a12 = GgmlQ8.Accumulate(Vector256.Create(p[6]), TS.DotQ8Biased(l, u1, x), a12);
                        a22 = GgmlQ8.Accumulate(Vector256.Create(p[10]), TS.DotQ8Biased(l, u2, x), a22);
                        a32 = GgmlQ8.Accumulate(Vector256.Create(p[14]), TS.DotQ8Biased(l, u3, x), a32);
                    }
                }

                if (TN.Count > 3)
                {
                    x = Vector256.Load(q + 96);
                    l = Vector256.Load(c + 24);
                    a03 = GgmlQ8.Accumulate(TR.Count > 1 ? Vector256.Create(p[3]) : e0 * Vector256.Create(xd[3]), TS.DotQ8Biased(l, u0, x), a03);
                    if (TR.Count > 1)
                    {
                        a13 = GgmlQ8.Accumulate(Vector256.Create(p[7]), TS.DotQ8Biased(l, u1, x), a13);
                        a23 = GgmlQ8.Accumulate(Vector256.Create(p[11]), TS.DotQ8Biased(l, u2, x), a23);
                        a33 = GgmlQ8.Accumulate(Vector256.Create(p[15]), TS.DotQ8Biased(l, u3, x), a33);
                    }
                }
            }

            GgmlQ8.StoreTile<TN, TR>(
                op, t0, r, rowEnd, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33);
        }
    }
}
