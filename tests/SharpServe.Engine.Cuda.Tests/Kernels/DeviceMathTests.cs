using SharpServe.Engine.Cuda.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>
/// The sampler's exp and log (plain C#, the same code the kernels run) against the host's Math/MathF: the sampling
/// references use them, so they must be as good as what the CPU sampler calls.
/// </summary>
public sealed class DeviceMathTests
{
    /// <summary>
    /// Rounded to float, the device exp is the correctly rounded e^x ((float)Math.Exp, whose double error is far below a
    /// float's); the host's MathF.Exp is not always (about one argument in 2,000 here comes out an ulp off), so against
    /// it only a rare one-ulp difference is allowed.
    /// </summary>
    [Fact]
    public void Exp_IsWithinTwoUlpsOfMathExp_AndRoundsCorrectlyToFloat()
    {
        var random = new Random(1);
        int hostMisses = 0;
        const int Samples = 200_000;
        for (int n = 0; n < Samples; n++)
        {
            // The sampler's arguments: shifted logits (p − max) / T ≤ 0, densest near 0.
            double x = n % 2 == 0 ? -random.NextDouble() * 110 : -random.NextDouble() * 5;
            double expected = Math.Exp(x);
            double actual = DeviceMath.Exp(x);
            Assert.True(Math.Abs(actual - expected) <= 2 * Ulp(expected), $"exp({x:R}) = {actual:R}, Math.Exp {expected:R}");

            float xf = (float)x;
            float device = DeviceMath.ExpF(xf);
            Assert.True((float)Math.Exp(xf) == device, $"expf({xf:R}) = {device:R}, correctly rounded {(float)Math.Exp(xf):R}");
            float host = MathF.Exp(xf);
            if (host != device)
            {
                hostMisses++;
                Assert.True(Math.Abs(BitConverter.SingleToInt32Bits(host) - BitConverter.SingleToInt32Bits(device)) <= 1, $"expf({xf:R}) = {device:R}, MathF.Exp {host:R}");
            }
        }

        Assert.True(hostMisses <= Samples / 1_000, $"{hostMisses} of {Samples} float exps differ from MathF.Exp by an ulp");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    [InlineData(-708.5, 0.0)]   // below the cut: 0, invisible next to sums ≥ 1
    [InlineData(-1e30, 0.0)]
    public void Exp_EdgeValues(double x, double expected) => Assert.Equal(expected, DeviceMath.Exp(x));

    [Fact]
    public void Exp_OfNaN_IsNaN() => Assert.True(double.IsNaN(DeviceMath.Exp(double.NaN)));

    [Fact]
    public void Log_IsWithinFourUlpsOfMathLog_OnTheSumsItSees()
    {
        var random = new Random(2);
        int floatMisses = 0;
        const int Samples = 100_000;
        for (int n = 0; n < Samples; n++)
        {
            // Σ exp(raw − m) lies in [1, vocab]; powers of two and √2 are the reduction's edges.
            double s = n switch
            {
                < 64 => Math.ScaleB(1, n % 18),
                < 128 => Math.ScaleB(Math.Sqrt(2), n % 18) * (1 + ((n % 3) - 1) * 1e-16),
                _ => 1 + (random.NextDouble() * (n % 2 == 0 ? 1e-3 : 200_000)),
            };
            double expected = Math.Log(s);
            double actual = DeviceMath.Log(s);
            Assert.True(Math.Abs(actual - expected) <= 4 * Ulp(expected), $"log({s:R}) = {actual:R}, Math.Log {expected:R}");
            floatMisses += (float)actual == (float)expected ? 0 : 1;
        }

        Assert.True(floatMisses <= Samples / 10_000, $"{floatMisses} of {Samples} float logs differ");
        Assert.Equal(0.0, DeviceMath.Log(1.0));
    }

    private static double Ulp(double value) => Math.BitIncrement(Math.Abs(value)) - Math.Abs(value);
}
