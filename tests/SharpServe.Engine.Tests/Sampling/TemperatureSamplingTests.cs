using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class TemperatureSamplingTests
{
    [Fact]
    public void TemperatureZero_IsArgMax_LowestIndexOnTies()
    {
        var sampler = new TestSampler(0, 1f, 1);
        Assert.Equal(2, sampler.Sample([0.5f, -1f, 3f, 3f, 2.9f]));
    }

    [Fact]
    public void HugeLogits_DoNotOverflow()
    {
        var sampler = new TestSampler(1, 1f, 1);
        int token = sampler.Sample([1000f, 0f, -1000f]);
        Assert.Equal(0, token);
    }

    [Fact]
    public void SameSeed_SameDraws_AndFrequenciesFollowTheSoftmax()
    {
        float[] logits = [MathF.Log(1), MathF.Log(2), MathF.Log(7)]; // probabilities 0.1, 0.2, 0.7 at T = 1
        var a = new TestSampler(1, 1f, 42);
        var b = new TestSampler(1, 1f, 42);
        var counts = new int[3];
        for (int i = 0; i < 20_000; i++)
        {
            int token = a.Sample(logits);
            Assert.Equal(token, b.Sample(logits));
            counts[token]++;
        }

        Assert.InRange(counts[0] / 20_000.0, 0.09, 0.11);
        Assert.InRange(counts[1] / 20_000.0, 0.19, 0.21);
        Assert.InRange(counts[2] / 20_000.0, 0.68, 0.72);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void InvalidTemperature_IsRefused(float temperature)
    {
        Assert.Throws<ArgumentException>(() => new TestSampler(temperature, 1f, 0));
    }
}
