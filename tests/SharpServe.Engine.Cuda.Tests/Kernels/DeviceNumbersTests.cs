using SharpServe.Engine.Cuda.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>The in-kernel 16-bit conversions against .NET's System.Half and the bf16 rounding the CPU engine stores with.</summary>
public sealed class DeviceNumbersTests
{
    [Fact]
    public void F16Widening_IsExactForEveryHalf()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = DeviceNumbers.F16ToFloat((ushort)bits);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual), $"half 0x{bits:X4}");
        }
    }

    [Fact]
    public void F16Narrowing_RoundsAsSystemHalf()
    {
        var random = new Random(19);
        var samples = new List<float>
        {
            0f, -0f, 1f, 65504f, 65519.99f, 65520f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            MathF.Pow(2, -14), MathF.Pow(2, -24), MathF.Pow(2, -25), MathF.Pow(2, -25) * 1.0001f, 1.5f * MathF.Pow(2, -24),
            1f + MathF.Pow(2, -11), 1f + (3 * MathF.Pow(2, -11)), float.Epsilon,
        };
        for (int i = 0; i < 200_000; i++)
        {
            samples.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));      // every exponent
            samples.Add((random.NextSingle() - 0.5f) * MathF.Pow(2, random.Next(-30, 20)));       // the half range
        }

        foreach (float value in samples)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)value);
            ushort actual = DeviceNumbers.FloatToF16(value);
            if (float.IsNaN(value))
            {
                Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf(actual)), $"NaN 0x{BitConverter.SingleToUInt32Bits(value):X8}");
                continue;
            }

            Assert.True(expected == actual, $"{value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): expected 0x{expected:X4}, got 0x{actual:X4}");
        }
    }

    [Fact]
    public void Bf16_RoundsToNearestEvenAndWidensExactly()
    {
        Assert.Equal(0x3F80, DeviceNumbers.FloatToBf16(1f + MathF.Pow(2, -8)));            // tie, even stays
        Assert.Equal(0x3F82, DeviceNumbers.FloatToBf16(1f + (3 * MathF.Pow(2, -8))));      // tie, odd rounds up
        Assert.Equal(0x3F81, DeviceNumbers.FloatToBf16(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)));
        Assert.True(float.IsNaN(DeviceNumbers.Bf16ToFloat(DeviceNumbers.FloatToBf16(float.NaN))));
        Assert.Equal(0x7F80, DeviceNumbers.FloatToBf16(float.MaxValue));                    // rounds up to infinity, as ggml
        Assert.Equal(-2.5f, DeviceNumbers.Bf16ToFloat(DeviceNumbers.FloatToBf16(-2.5f)));
    }
}
