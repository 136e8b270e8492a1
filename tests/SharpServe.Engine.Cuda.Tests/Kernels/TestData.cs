using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>Random inputs and the byte layouts the engine stores them in.</summary>
internal static class TestData
{
    public static float[] Floats(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = ((random.NextSingle() * 2) - 1) * scale;
        }

        return values;
    }

    public static TensorDType[] SixteenBitAndF32 { get; } = [TensorDType.F32, TensorDType.F16, TensorDType.BF16];

    /// <summary>values rounded to <paramref name="type"/> and back, and their stored bytes.</summary>
    public static (float[] Rounded, byte[] Bytes) Store(float[] values, TensorDType type)
    {
        var rounded = new float[values.Length];
        byte[] bytes;
        switch (type)
        {
            case TensorDType.F32:
                values.CopyTo(rounded, 0);
                bytes = new byte[values.Length * 4];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                break;
            case TensorDType.F16:
                var halves = values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray();
                for (int i = 0; i < values.Length; i++)
                {
                    rounded[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
                }

                bytes = new byte[halves.Length * 2];
                Buffer.BlockCopy(halves, 0, bytes, 0, bytes.Length);
                break;
            case TensorDType.BF16:
                var brains = values.Select(KernelReferences.ToBf16).ToArray();
                for (int i = 0; i < values.Length; i++)
                {
                    rounded[i] = KernelReferences.FromBf16(brains[i]);
                }

                bytes = new byte[brains.Length * 2];
                Buffer.BlockCopy(brains, 0, bytes, 0, bytes.Length);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }

        return (rounded, bytes);
    }

    /// <summary>Largest |a − b| relative to the largest |b| (the scale of the values compared).</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"NaN at {i}");
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
        }

        return worst / Math.Max(scale, 1e-30);
    }

    public static void BitwiseEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
            {
                Assert.Fail($"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
            }
        }
    }
}
