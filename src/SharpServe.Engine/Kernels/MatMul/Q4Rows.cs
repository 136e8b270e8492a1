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
            for (int b = 0; b < blocks; b++, w0 += 18, w1 += 18, w2 += 18, w3 += 18, q += quantStride, c += correctionStride, xd += TN.Count)
            {
                var rows = new TileRows(w0, TR.Count > 1 ? w1 : w0, TR.Count > 1 ? w2 : w0, TR.Count > 1 ? w3 : w0, halfTable);
                Token<TS, TV, TR>(rows, q, c, xd[0], ref a00, ref a10, ref a20, ref a30);
                if (TN.Count > 1)
                {
                    Token<TS, TV, TR>(rows, q + 32, c + 8, xd[1], ref a01, ref a11, ref a21, ref a31);
                }

                if (TN.Count > 2)
                {
                    Token<TS, TV, TR>(rows, q + 64, c + 16, xd[2], ref a02, ref a12, ref a22, ref a32);
                }

                if (TN.Count > 3)
                {
                    Token<TS, TV, TR>(rows, q + 96, c + 24, xd[3], ref a03, ref a13, ref a23, ref a33);
                }
            }

            GgmlQ8.StoreTile<TN, TR>(
                op, t0, r, rowEnd, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33);
        }
    }

    /// <summary>One token's block against the tile's rows: acc += fp32(w.d)·fp32(x.d) · lanes, per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Token<TS, TV, TR>(
        in TileRows rows, sbyte* q, int* c, float xScale,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TR : struct, ITokenGroup
    {
        var x = Vector256.Load(q);
        var l = Vector256.Load(c);
        a0 = GgmlQ8.Accumulate(Vector256.Create(rows.D0 * xScale), TS.DotQ8Biased(l, rows.U0, x), a0);
        if (TR.Count > 1)
        {
            a1 = GgmlQ8.Accumulate(Vector256.Create(rows.D1 * xScale), TS.DotQ8Biased(l, rows.U1, x), a1);
            a2 = GgmlQ8.Accumulate(Vector256.Create(rows.D2 * xScale), TS.DotQ8Biased(l, rows.U2, x), a2);
            a3 = GgmlQ8.Accumulate(Vector256.Create(rows.D3 * xScale), TS.DotQ8Biased(l, rows.U3, x), a3);
        }
    }

    /// <summary>One block of up to four rows, unpacked once for every token of the tile.</summary>
    private readonly struct TileRows
    {
        public TileRows(byte* w0, byte* w1, byte* w2, byte* w3, float* halfTable)
        {
            U0 = Unpack(w0);
            U1 = Unpack(w1);
            U2 = Unpack(w2);
            U3 = Unpack(w3);
            D0 = halfTable[*(ushort*)w0];
            D1 = halfTable[*(ushort*)w1];
            D2 = halfTable[*(ushort*)w2];
            D3 = halfTable[*(ushort*)w3];
        }

        public Vector256<byte> U0 { get; }
        public Vector256<byte> U1 { get; }
        public Vector256<byte> U2 { get; }
        public Vector256<byte> U3 { get; }
        public float D0 { get; }
        public float D1 { get; }
        public float D2 { get; }
        public float D3 { get; }

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
}
