using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>Q4_0 encoding against a scalar transcription of ggml's quantize_row_q4_0_ref, and decoding against hand-worked blocks.</summary>
public sealed class Q4_0CodecTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(51)]
    public void EncodeMatchesScalarGgmlReference_OnOddBlockCounts(int blocks)
    {
        var random = new Random(blocks);
        var values = RandomFloats(random, 32 * blocks, 3f);
        if (blocks > 2)
        {
            values.AsSpan(32, 32).Clear();   // all-zero block: d = 0, every quant 8
            values[70] = -5f;                // block 2's largest magnitude is negative: d > 0
        }

        var bytes = new byte[blocks * 18];
        WeightCodec.Encode(TensorDType.Q4_0, values, bytes);
        Assert.Equal(ReferenceQuantize(values), bytes);

        // Decoding is (q − 8)·d; the error is at most half a step, or one step for the value clamped at q = 15.
        var decoded = new float[values.Length];
        WeightCodec.Decode(TensorDType.Q4_0, bytes, decoded);
        for (int i = 0; i < values.Length; i++)
        {
            float d = Q4Scale(bytes, i / 32);
            Assert.Equal(d * (Q4Nibble(bytes, i) - 8), decoded[i]);
            Assert.True(Math.Abs(decoded[i] - values[i]) <= (Math.Abs(d) * 1.01) + 1e-12, $"value {i}: {values[i]} → {decoded[i]}");
        }
    }

    [Fact]
    public void HandWorkedBlock_SignedMaxTruncationClampAndNibbleOrder()
    {
        // max = 8 → d = −1 exactly, id = −1: q = (int)(−x + 8.5).
        var values = new float[32];
        values[0] = 8f;      // 0.5 → q 0 → decodes to 8
        values[1] = -8f;     // 16.5 → 16, clamped to 15 → decodes to −7
        values[2] = 0.5f;    // 8.0 → q 8 → 0
        values[3] = -0.5f;   // 9.0 → q 9 → −1
        values[4] = 2.4f;    // 6.1 → q 6 → 2
        values[16] = 3f;     // 5.5 → q 5 → 3, in byte 0's high nibble
        values[31] = -1f;    // 9.5 → q 9 → −1, in byte 15's high nibble
        var bytes = new byte[18];
        WeightCodec.Encode(TensorDType.Q4_0, values, bytes);

        Assert.Equal(0xBC00, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
        Assert.Equal(0x50, bytes[2]);        // element 0 low (0), element 16 high (5)
        Assert.Equal(0x8F, bytes[3]);        // element 1 low (15), element 17 high (8)
        Assert.Equal(0x98, bytes[17]);       // element 15 low (8), element 31 high (9)

        var decoded = new float[32];
        WeightCodec.Decode(TensorDType.Q4_0, bytes, decoded);
        Assert.Equal([8f, -7f, 0f, -1f, 2f], decoded[..5]);
        Assert.Equal(3f, decoded[16]);
        Assert.Equal(-1f, decoded[31]);
    }

    [Fact]
    public void EqualMagnitudes_TheFirstOneSetsTheScalesSign()
    {
        var values = new float[32];
        values[5] = -4f;
        values[9] = 4f;
        var bytes = new byte[18];
        WeightCodec.Encode(TensorDType.Q4_0, values, bytes);
        Assert.Equal((Half)0.5f, BinaryPrimitives.ReadHalfLittleEndian(bytes)); // −4 / −8
    }

    [Fact]
    public void ToFloatDecodesQ4_0Tensors()
    {
        var bytes = new byte[2 * 18];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0x3800);             // 0.5
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 0xC000);  // −2
        bytes[2] = 0xF0;       // element 0: q 0 → −4; element 16: q 15 → 3.5
        bytes[20] = 0x0B;      // element 32: q 11 → −6; element 48: q 0 → 16
        var values = WeightCodec.ToFloat(new WeightTensor("q", TensorDType.Q4_0, [64], bytes));
        Assert.Equal(-4f, values[0]);
        Assert.Equal(3.5f, values[16]);
        Assert.Equal(-6f, values[32]);
        Assert.Equal(16f, values[48]);
        Assert.Equal(-4f, values[1]);          // zero byte: q 0
    }

    [Fact]
    public void RejectsSizesThatAreNotWholeBlocks()
    {
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.Q4_0, new float[31], new byte[18]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.Q4_0, new float[32], new byte[34]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Decode(TensorDType.Q4_0, new byte[17], new float[32]));
    }

    /// <summary>quantize_row_q4_0_ref transcribed from ggml-quants.c, one statement per line of the C.</summary>
    private static byte[] ReferenceQuantize(float[] x)
    {
        const int Qk = 32;
        var y = new byte[x.Length / Qk * 18];
        for (int i = 0; i < x.Length / Qk; i++)
        {
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < Qk; j++)
            {
                float v = x[(i * Qk) + j];
                if (amax < MathF.Abs(v))
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }

            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteHalfLittleEndian(y.AsSpan(i * 18), (Half)d);
            for (int j = 0; j < Qk / 2; ++j)
            {
                float x0 = x[(i * Qk) + j] * id;
                float x1 = x[(i * Qk) + (Qk / 2) + j] * id;
                byte xi0 = (byte)Math.Min(15, (int)(sbyte)(x0 + 8.5f));
                byte xi1 = (byte)Math.Min(15, (int)(sbyte)(x1 + 8.5f));
                y[(i * 18) + 2 + j] = (byte)(xi0 | (xi1 << 4));
            }
        }

        return y;
    }
}
