using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// The tiers' Exp reproduces llama.cpp's ggml_v_expf (checked bit for bit end to end by the Q8_0 oracle
/// tests); here: its accuracy (about 2 ulp, 3 measured near the bottom of the normal range, so 4 is the
/// bound; a wrong polynomial constant costs far more) and its saturation outside ±88.
/// </summary>
public sealed class GgmlExpTests
{
    private static readonly float[] Inputs = [.. Enumerable.Range(0, 4000).Select(i => -103f + (i * 0.0478f)), 0f, -0f, 1e-30f, -87.3f, 88.3f];

    [Fact]
    public void Vector512ExpIsWithinFourUlpAndSaturates()
    {
        if (!SimdTiers.IsSupported(SimdTier.Vector512))
        {
            return;
        }

        Check(x => Simd512.Exp(Vector512.Create(x)).ToScalar());
    }

    [Fact]
    public void Vector256ExpIsWithinFourUlpAndSaturates()
    {
        if (!SimdTiers.IsSupported(SimdTier.Vector256))
        {
            return;
        }

        Check(x => Simd256.Exp(Vector256.Create(x)).ToScalar());
    }

    private static void Check(Func<float, float> exp)
    {
        foreach (float x in Inputs)
        {
            double expected = Math.Exp(x);
            float actual = exp(x);
            double ulp = MathF.BitIncrement((float)expected) - (float)expected;
            Assert.True(Math.Abs(actual - expected) <= (4 * ulp) + 1e-45, $"exp({x:R}) = {actual:R}, expected {expected:R}");
        }

        Assert.Equal(0f, exp(float.NegativeInfinity));
        Assert.Equal(0f, exp(-200f));
        Assert.Equal(float.PositiveInfinity, exp(200f));
        Assert.True(float.IsNaN(exp(float.NaN)));
    }
}
