using System.Buffers.Binary;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

public sealed class WeightCodecTests
{
    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]            // 1
    [InlineData(0x3F808000u, 0x3F80)]            // 1 + 2^-8: exact tie, rounds to the even 1.0
    [InlineData(0x3F808080u, 0x3F81)]            // 1 + 2^-8 + 2^-16: above the tie, rounds up
    [InlineData(0x3F818000u, 0x3F82)]            // 1 + 2^-7 + 2^-8: tie between 0x3F81 and 0x3F82, even wins
    [InlineData(0xC0200000u, 0xC020)]            // -2.5
    [InlineData(0x80000000u, 0x8000)]            // -0
    [InlineData(0x7F800000u, 0x7F80)]            // +inf
    [InlineData(0x7F7FFFFFu, 0x7F80)]            // f32 max rounds past the largest bf16 to infinity
    [InlineData(0x00010000u, 0x0001)]            // a subnormal that bf16 holds exactly
    public void Bf16RoundsToNearestEven(uint valueBits, int expectedBits)
    {
        var bytes = new byte[2];
        WeightCodec.Encode(TensorDType.BF16, [BitConverter.UInt32BitsToSingle(valueBits)], bytes);
        Assert.Equal((ushort)expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
    }

    [Fact]
    public void Bf16KeepsNaN()
    {
        var bytes = new byte[4];
        float negativeNaN = BitConverter.UInt32BitsToSingle(0xFF800001); // payload only in the low bits that bf16 drops
        WeightCodec.Encode(TensorDType.BF16, [float.NaN, negativeNaN], bytes);
        var decoded = new float[2];
        WeightCodec.Decode(TensorDType.BF16, bytes, decoded);
        Assert.True(float.IsNaN(decoded[0]));
        Assert.True(float.IsNaN(decoded[1]));
        Assert.True(float.IsNegative(decoded[1]));
    }

    [Theory]
    [InlineData(65504f, 0x7BFF)]                 // largest half
    [InlineData(65519f, 0x7BFF)]                 // below the midpoint to 65536
    [InlineData(65520f, 0x7C00)]                 // midpoint: ties to even, which is infinity
    [InlineData(5.9604645e-8f, 0x0001)]          // 2^-24, smallest subnormal
    [InlineData(2.9802322e-8f, 0x0000)]          // 2^-25: tie with zero, even wins
    [InlineData(6.1035156e-5f, 0x0400)]          // smallest normal
    [InlineData(-0f, 0x8000)]
    [InlineData(1.00048828125f, 0x3C00)]         // 1 + 2^-11: tie, rounds to even 1.0
    [InlineData(float.NegativeInfinity, 0xFC00)]
    public void F16IsIeeeRoundToNearestEven(float value, int expectedBits)
    {
        var bytes = new byte[2];
        WeightCodec.Encode(TensorDType.F16, [value], bytes);
        Assert.Equal((ushort)expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(bytes));

        var decoded = new float[1];
        WeightCodec.Decode(TensorDType.F16, bytes, decoded);
        Assert.Equal((float)BitConverter.UInt16BitsToHalf((ushort)expectedBits), decoded[0]);
    }

    [Fact]
    public void Q8_0RoundsHalfAwayFromZeroLikeGgmlReference()
    {
        // amax 127 → d = 1 exactly, so q = roundf(x): ties go away from zero (2.5 → 3, not 2).
        var values = new float[32];
        values[0] = 127f;
        values[1] = 2.5f;
        values[2] = -2.5f;
        values[3] = 0.5f;
        values[4] = -0.49f;
        values[5] = -127f;
        var bytes = new byte[34];
        WeightCodec.Encode(TensorDType.Q8_0, values, bytes);
        Assert.Equal(0x3C00, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
        Assert.Equal(new sbyte[] { 127, 3, -3, 1, 0, -127, 0 }, bytes.Skip(2).Take(7).Select(b => (sbyte)b));
    }

    [Fact]
    public void Q8_0MatchesAScalarGgmlReference()
    {
        var random = new Random(11);
        var values = RandomFloats(random, 32 * 50, 4f);
        values.AsSpan(64, 32).Clear(); // all-zero block: d = 0, q = 0
        var bytes = new byte[50 * 34];
        WeightCodec.Encode(TensorDType.Q8_0, values, bytes);
        for (int b = 0; b < 50; b++)
        {
            float amax = 0;
            for (int j = 0; j < 32; j++)
            {
                amax = Math.Max(amax, Math.Abs(values[(b * 32) + j]));
            }

            float d = amax / 127;
            float inverse = d != 0 ? 1 / d : 0;
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)d), BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(b * 34)));
            for (int j = 0; j < 32; j++)
            {
                Assert.Equal((sbyte)MathF.Round(values[(b * 32) + j] * inverse, MidpointRounding.AwayFromZero), (sbyte)bytes[(b * 34) + 2 + j]);
            }
        }

        // Decoding gives d·q, within 0.57·d of the input (rounding plus the fp16 scale).
        var decoded = new float[values.Length];
        WeightCodec.Decode(TensorDType.Q8_0, bytes, decoded);
        for (int i = 0; i < values.Length; i++)
        {
            float d = Q8Scale(bytes, i / 32);
            Assert.Equal(d * (sbyte)bytes[((i / 32) * 34) + 2 + (i % 32)], decoded[i]);
            Assert.True(Math.Abs(decoded[i] - values[i]) <= (0.57 * d) + 1e-12, $"value {i}");
        }
    }

    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.BF16)]
    public void RepresentableValuesRoundTripExactly(TensorDType type)
    {
        // bf16-representable values within half's normal range are exact in every float dtype.
        var values = RandomBf16Floats(new Random(2), 96, 100f);
        values[0] = 0;
        values[1] = -0f;
        var bytes = new byte[TensorDTypeInfo.ByteSize(type, values.Length)];
        WeightCodec.Encode(type, values, bytes);
        var tensor = new WeightTensor("t", type, [8, 12], bytes);
        var decoded = WeightCodec.ToFloat(tensor);
        Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), decoded.Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void ToFloatDecodesQ8_0Tensors()
    {
        var bytes = new byte[2 * 34];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0x3800);             // 0.5
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(34), 0xC000);  // -2
        bytes[2] = 7;
        bytes[36] = unchecked((byte)-3);
        var values = WeightCodec.ToFloat(new WeightTensor("q", TensorDType.Q8_0, [64], bytes));
        Assert.Equal(3.5f, values[0]);
        Assert.Equal(6f, values[32]);
        Assert.Equal(0f, values[1]);
    }

    [Fact]
    public void RejectsWrongBufferSizes()
    {
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.F16, new float[3], new byte[5]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Encode(TensorDType.Q8_0, new float[31], new byte[34]));
        Assert.Throws<ArgumentException>(() => WeightCodec.Decode(TensorDType.BF16, new byte[6], new float[2]));
        Assert.Throws<ArgumentException>(() => WeightCodec.ToFloat(new WeightTensor("t", TensorDType.F32, [4], new byte[15])));
    }
}
