using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// Q6_K encoding against a scalar transcription of ggml's quantize_row_q6_K_ref (make_qx_quants included), decoding
/// against one of dequantize_row_q6_K, and hand-worked blocks for the bit layout and the scale signs.
/// </summary>
public sealed class Q6_KCodecTests
{
    private const int Bytes = 210;

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(3, 3f)]
    [InlineData(7, 0.02f)]
    public void EncodeMatchesScalarGgmlReference(int blocks, float scale)
    {
        var random = new Random(blocks);
        var values = RandomFloats(random, 256 * blocks, scale);
        if (blocks > 2)
        {
            values.AsSpan(256, 256).Clear();   // all-zero super-block: stored as zeros
            values.AsSpan(512, 16).Clear();    // all-zero sub-block beside non-zero ones: scale 0
            values[600] = -9 * scale;          // a negative largest magnitude: negative d
        }

        var bytes = new byte[blocks * Bytes];
        WeightCodec.Encode(TensorDType.Q6_K, values, bytes);
        Assert.Equal(ReferenceQuantize(values), bytes);
        if (blocks > 2)
        {
            Assert.All(bytes[Bytes..(2 * Bytes)], b => Assert.Equal(0, b));
        }

        // Decoding must equal ggml's dequantize_row_q6_K bit for bit, and land within half a step (d·|scale|) of the
        // input unless the value was clamped to the 6-bit range [−32, 31] (rounded int8 scales can put |x| past 31 steps).
        var decoded = new float[values.Length];
        WeightCodec.Decode(TensorDType.Q6_K, bytes, decoded);
        var expected = ReferenceDequantize(bytes);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(expected[i], decoded[i]);
            float step = MathF.Abs(Half(bytes, i / 256) * (sbyte)bytes[(i / 256 * Bytes) + 192 + (i % 256 / 16)]);
            double bound = Math.Max(0.5 * step, Math.Abs(values[i]) - (31 * step));
            Assert.True(Math.Abs(decoded[i] - values[i]) <= (bound * 1.001) + 1e-9, $"value {i}: {values[i]} → {decoded[i]} (step {step})");
        }
    }

    [Fact]
    public void AllOnes_GivesNegativeScalesAndQuantZero()
    {
        // Each sub-block: max = 1, iscale = −32, every l = −32, scale −1/32 (no search step does better);
        // d = 1 / (−128 / (−1/32)) = 2⁻¹², every int8 scale −128, every quant 0: 2⁻¹² · −128 · (0 − 32) = 1.
        var values = Enumerable.Repeat(1f, 256).ToArray();
        var bytes = new byte[Bytes];
        WeightCodec.Encode(TensorDType.Q6_K, values, bytes);
        Assert.All(bytes[..192], b => Assert.Equal(0, b));
        Assert.All(bytes[192..208], b => Assert.Equal(0x80, b));
        Assert.Equal(0x0C00, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(208)));
        var decoded = new float[256];
        WeightCodec.Decode(TensorDType.Q6_K, bytes, decoded);
        Assert.All(decoded, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void DecodeReadsEachQuantFromItsNibbleAndHighBits()
    {
        // d = 1, scales 1 (sub-block 12: 2), all bits zero → every value is 0 − 32. Element 197 = 128 + 64 + 5
        // (second half, third quarter, l = 5) takes ql[64 + 5]'s high nibble and bits 4–5 of qh[32 + 5].
        var bytes = new byte[Bytes];
        bytes.AsSpan(192, 16).Fill(1);
        bytes[192 + 12] = 2;
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(208), (Half)1f);
        bytes[64 + 5] = 0xF0;
        bytes[128 + 32 + 5] = 0x30;
        var decoded = new float[256];
        WeightCodec.Decode(TensorDType.Q6_K, bytes, decoded);
        for (int i = 0; i < 256; i++)
        {
            float expected = i == 197 ? 2 * 31 : (i / 16 == 12 ? 2 : 1) * -32;
            Assert.Equal(expected, decoded[i]);
        }
    }

    [Fact]
    public void RejectsSizesThatAreNotWholeSuperBlocks()
    {
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.Q6_K, new float[128], new byte[105]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.Q6_K, new float[256], new byte[209]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Decode(TensorDType.Q6_K, new byte[Bytes], new float[288]));
    }

    [Fact]
    public void ToFloatDecodesQ6_KTensors()
    {
        var values = RandomFloats(new Random(5), 512, 2f);
        var bytes = new byte[2 * Bytes];
        WeightCodec.Encode(TensorDType.Q6_K, values, bytes);
        Assert.Equal(ReferenceDequantize(bytes), WeightCodec.ToFloat(new WeightTensor("q", TensorDType.Q6_K, [2, 256], bytes)));
    }

    private static float Half(byte[] data, int block) => (float)BinaryPrimitives.ReadHalfLittleEndian(data.AsSpan((block * Bytes) + 208));

    /// <summary>ggml's nearest_int, as the C writes it (memcpy of fval + 12582912.f).</summary>
    private static int NearestInt(float fval)
    {
        float val = fval + 12582912f;
        int i = BitConverter.SingleToInt32Bits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /// <summary>make_qx_quants transcribed from ggml-quants.c for the arguments Q6_K passes (rmse_type 1, qw NULL).</summary>
    private static float MakeQxQuants(int n, int nmax, float[] x, int xAt, sbyte[] l8, int lAt)
    {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[xAt + i]);
            if (ax > amax) { amax = ax; max = x[xAt + i]; }
        }

        if (amax < 1e-15f)
        {
            for (int i = 0; i < n; ++i)
            {
                l8[lAt + i] = 0;
            }

            return 0f;
        }

        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = NearestInt(iscale * x[xAt + i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            l8[lAt + i] = (sbyte)(l + nmax);
            float w = x[xAt + i] * x[xAt + i];
            sumlx += w * x[xAt + i] * l;
            suml2 += w * l * l;
        }

        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int @is = -9; @is <= 9; ++@is)
        {
            if (@is == 0)
            {
                continue;
            }

            iscale = -(nmax + (0.1f * @is)) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = NearestInt(iscale * x[xAt + i]);
                l = Math.Max(-nmax, Math.Min(nmax - 1, l));
                float w = x[xAt + i] * x[xAt + i];
                sumlx += w * x[xAt + i] * l;
                suml2 += w * l * l;
            }

            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; ++i)
                {
                    int l = NearestInt(iscale * x[xAt + i]);
                    l8[lAt + i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, l)));
                }

                scale = sumlx / suml2; best = scale * sumlx;
            }
        }

        return scale;
    }

    /// <summary>quantize_row_q6_K_ref transcribed from ggml-quants.c, one statement per line of the C.</summary>
    private static byte[] ReferenceQuantize(float[] x)
    {
        const int QkK = 256;
        int nb = x.Length / QkK;
        var y = new byte[nb * Bytes];
        var l8 = new sbyte[QkK];
        var scales = new float[QkK / 16];
        for (int i = 0; i < nb; i++)
        {
            int xo = i * QkK;
            int yo = i * Bytes;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < QkK / 16; ++ib)
            {
                float scale = MakeQxQuants(16, 32, x, xo + (16 * ib), l8, 16 * ib);
                scales[ib] = scale;
                float absScale = MathF.Abs(scale);
                if (absScale > maxAbsScale)
                {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }

            if (maxAbsScale < 1e-15f)
            {
                continue; // y is already zeros, d included
            }

            float iscale = -128f / maxScale;
            BinaryPrimitives.WriteHalfLittleEndian(y.AsSpan(yo + 208), (Half)(1 / iscale));
            for (int ib = 0; ib < QkK / 16; ++ib)
            {
                y[yo + 192 + ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            }

            for (int j = 0; j < QkK / 16; ++j)
            {
                float d = (float)BinaryPrimitives.ReadHalfLittleEndian(y.AsSpan(yo + 208)) * (sbyte)y[yo + 192 + j];
                if (d == 0)
                {
                    continue;
                }

                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = NearestInt(x[xo + (16 * j) + ii] / d);
                    l = Math.Max(-32, Math.Min(31, l));
                    l8[(16 * j) + ii] = (sbyte)(l + 32);
                }
            }

            int ql = yo;
            int qh = yo + 128;
            for (int j = 0; j < QkK; j += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    byte q1 = (byte)(l8[j + l + 0] & 0xF);
                    byte q2 = (byte)(l8[j + l + 32] & 0xF);
                    byte q3 = (byte)(l8[j + l + 64] & 0xF);
                    byte q4 = (byte)(l8[j + l + 96] & 0xF);
                    y[ql + l + 0] = (byte)(q1 | (q3 << 4));
                    y[ql + l + 32] = (byte)(q2 | (q4 << 4));
                    y[qh + l] = (byte)((l8[j + l] >> 4) | ((l8[j + l + 32] >> 4) << 2) | ((l8[j + l + 64] >> 4) << 4) | ((l8[j + l + 96] >> 4) << 6));
                }

                ql += 64;
                qh += 32;
            }
        }

        return y;
    }

    /// <summary>dequantize_row_q6_K transcribed from ggml-quants.c.</summary>
    internal static float[] ReferenceDequantize(byte[] x)
    {
        int nb = x.Length / Bytes;
        var y = new float[nb * 256];
        int yo = 0;
        for (int i = 0; i < nb; i++)
        {
            float d = Half(x, i);
            int ql = i * Bytes;
            int qh = ql + 128;
            int sc = ql + 192;
            for (int n = 0; n < 256; n += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    int @is = l / 16;
                    int q1 = (sbyte)((x[ql + l + 0] & 0xF) | (((x[qh + l] >> 0) & 3) << 4)) - 32;
                    int q2 = (sbyte)((x[ql + l + 32] & 0xF) | (((x[qh + l] >> 2) & 3) << 4)) - 32;
                    int q3 = (sbyte)((x[ql + l + 0] >> 4) | (((x[qh + l] >> 4) & 3) << 4)) - 32;
                    int q4 = (sbyte)((x[ql + l + 32] >> 4) | (((x[qh + l] >> 6) & 3) << 4)) - 32;
                    y[yo + l + 0] = d * (sbyte)x[sc + @is + 0] * q1;
                    y[yo + l + 32] = d * (sbyte)x[sc + @is + 2] * q2;
                    y[yo + l + 64] = d * (sbyte)x[sc + @is + 4] * q3;
                    y[yo + l + 96] = d * (sbyte)x[sc + @is + 6] * q4;
                }

                yo += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }

        return y;
    }
}
