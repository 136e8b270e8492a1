using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q4_0 weights against Q8_0-quantized activations (<see cref="ActivationQuantizer"/>), one row at a time for the
/// TN.Count tokens from t0, in llama.cpp's ggml_vec_dot_q4_0_q8_0 order (<see cref="GgmlQ8"/>): per block the
/// nibbles become w = q − 8, 8 exact integer lanes of Σ w·x, acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then
/// hsum_float_8. Dequantizing to f32 instead left the logits ~0.2 from llama.cpp's and flipped 7 of 64 argmaxes
/// on a random model, because llama.cpp rounds the activations to 8 bits before every Q4_0 matmul.
/// A row-tiled kernel like <see cref="Q8Tiles"/> would be faster; this is the simple correct one.
/// </summary>
internal static unsafe class Q4Rows
{
    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0 of the call's <paramref name="tokens"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN>(in GemvOperands op, int tokens, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        int blocks = op.Columns / 32;
        long rowBytes = (long)blocks * 18;
        float* halfTable = HalfTable.Pointer;
        long quantStride = 32L * tokens;     // one block of every token
        long correctionStride = 8L * tokens;
        var lowNibble = Vector128.Create((byte)0x0F);

        // DotQ8Biased takes weights offset by 128: w + 128 = q − 8 + 128 = q + 120.
        var offset = Vector256.Create((byte)120);
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* w = op.Weights + (r * rowBytes);
            sbyte* q = op.XQuants + (32L * t0);       // [TN.Count, 32] of the current block
            int* c = op.XCorrections + (8L * t0);     // [TN.Count, 8]
            float* xd = op.XScales + t0;              // [TN.Count] of the current block
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < blocks; b++, w += 18, q += quantStride, c += correctionStride, xd += tokens)
            {
                // Byte j holds element j in its low nibble and element j + 16 in its high one.
                var packed = Vector128.Load(w + 2);
                var u = Vector256.Create(packed & lowNibble, Vector128.ShiftRightLogical(packed, 4)) + offset;
                float wd = halfTable[*(ushort*)w];
                a0 = GgmlQ8.Accumulate(Vector256.Create(wd * xd[0]), TS.DotQ8Biased(Vector256.Load(c), u, Vector256.Load(q)), a0);
                if (TN.Count > 1)
                {
                    a1 = GgmlQ8.Accumulate(Vector256.Create(wd * xd[1]), TS.DotQ8Biased(Vector256.Load(c + 8), u, Vector256.Load(q + 32)), a1);
                }

                if (TN.Count > 2)
                {
                    a2 = GgmlQ8.Accumulate(Vector256.Create(wd * xd[2]), TS.DotQ8Biased(Vector256.Load(c + 16), u, Vector256.Load(q + 64)), a2);
                }

                if (TN.Count > 3)
                {
                    a3 = GgmlQ8.Accumulate(Vector256.Create(wd * xd[3]), TS.DotQ8Biased(Vector256.Load(c + 24), u, Vector256.Load(q + 96)), a3);
                }
            }

            GemvRows.Store<TN>(op, t0, r, GgmlQ8.Sum(a0), GgmlQ8.Sum(a1), GgmlQ8.Sum(a2), GgmlQ8.Sum(a3));
        }
    }
}
