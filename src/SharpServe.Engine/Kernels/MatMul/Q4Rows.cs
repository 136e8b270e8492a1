using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q4_0 weights against Q8_0-quantized activations (<see cref="ActivationQuantizer"/>) in tiles of TR.Count rows ×
/// TN.Count tokens, each (row, token) in llama.cpp's ggml_vec_dot_q4_0_q8_0 order (<see cref="GgmlQ8"/>): per block
/// the nibbles become w = q − 8, 8 exact integer lanes of Σ w·x, acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then
/// hsum_float_8. Dequantizing to f32 instead left the logits ~0.2 from llama.cpp's and flipped 7 of 64 argmaxes on a
/// random model, because llama.cpp rounds the activations to 8 bits before every Q4_0 matmul. One-row tiles serve the
/// memory-bound decode; four-row tiles give prefill 16 independent accumulators, as <see cref="Q8Tiles"/> does.
/// </summary>
internal static unsafe class Q4Rows
{
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
        long rowBytes = (long)blocks * 18;
        float* halfTable = HalfTable.Pointer;
        // The group's tokens, block after block (QuantizeJob's layout): group t0 starts at t0·columns quants.
        long quantStride = 32L * TN.Count;
        long correctionStride = 8L * TN.Count;
        for (int r = rowStart; r < rowEnd; r += TR.Count)
        {
            // A short last tile repeats its last row: the copies cost a little compute and are never stored.
            int last = rowEnd - 1;
            byte* w0 = op.Weights + (r * rowBytes);
            byte* w1 = op.Weights + (Math.Min(r + 1, last) * rowBytes);
            byte* w2 = op.Weights + (Math.Min(r + 2, last) * rowBytes);
            byte* w3 = op.Weights + (Math.Min(r + 3, last) * rowBytes);
            sbyte* q = op.XQuants + ((long)t0 * columns);          // [TN.Count, 32] of the current block
            int* c = op.XCorrections + ((long)t0 * blocks * 8);    // [TN.Count, 8]
            float* xd = op.XScales + ((long)t0 * blocks);          // [TN.Count] of the current block
            Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
            Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
            Vector256<float> a02 = default, a12 = default, a22 = default, a32 = default;
            Vector256<float> a03 = default, a13 = default, a23 = default, a33 = default;

            // A tile's rows are adjacent, so they are one linear stream of TR.Count·18 bytes per block: prefetched as such,
            // at least a whole tile ahead (as Q8Tiles does). Without a software prefetch one stream per thread reaches
            // about half the bandwidth (see GemvRows).
            byte* ahead = w0 + Math.Max(TR.Count * rowBytes, GemvRows.PrefetchDistance);
            for (int b = 0; b < blocks; b++, w0 += 18, w1 += 18, w2 += 18, w3 += 18, q += quantStride, c += correctionStride, xd += TN.Count, ahead += TR.Count * 18)
            {
                GemvRows.PrefetchBlock<TS, TV>(ahead, TR.Count * 18);
                var tile = TR.Count > 1
                    ? new BiasedTile(Unpack(w0), Unpack(w1), Unpack(w2), Unpack(w3), halfTable[*(ushort*)w0], halfTable[*(ushort*)w1], halfTable[*(ushort*)w2], halfTable[*(ushort*)w3])
                    : new BiasedTile(Unpack(w0), default, default, default, halfTable[*(ushort*)w0], 0, 0, 0);
                GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q, c, xd[0], ref a00, ref a10, ref a20, ref a30);
                if (TN.Count > 1)
                {
                    GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 32, c + 8, xd[1], ref a01, ref a11, ref a21, ref a31);
                }

                if (TN.Count > 2)
                {
                    GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 64, c + 16, xd[2], ref a02, ref a12, ref a22, ref a32);
                }

                if (TN.Count > 3)
                {
                    GgmlQ8.AccumulateToken<TS, TV, TR>(tile, q + 96, c + 24, xd[3], ref a03, ref a13, ref a23, ref a33);
                }
            }

            GgmlQ8.StoreTile<TN, TR>(
                op, t0, r, rowEnd, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33);
        }
    }

    /// <summary>
    /// The block's 32 quants as DotQ8Biased's offset weights, w + 128 = q − 8 + 128 = q + 120. Byte j holds
    /// element j in its low nibble and element j + 16 in its high one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unpack(byte* block)
    {
        var packed = Vector128.Load(block + 2);
        return Vector256.Create(packed & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(packed, 4)) + Vector256.Create((byte)120);
    }
}
