using SharpServe.Cli.Benchmarks;

namespace SharpServe.Cli.Tests.Benchmarks;

public sealed class LevelStatisticsTests
{
    [Theory]
    [InlineData(50, 3.0)]
    [InlineData(0, 1.0)]
    [InlineData(100, 5.0)]
    [InlineData(25, 2.0)]
    [InlineData(99, 4.96)] // numpy: rank 0.99 × 4 = 3.96, between 4 and 5
    [InlineData(90, 4.6)]
    public void Percentile_InterpolatesLinearlyBetweenRanks_LikeNumpy(double percent, double expected)
    {
        Assert.Equal(expected, Percentiles.Of([5, 1, 4, 2, 3], percent), precision: 10);
    }

    [Fact]
    public void Percentile_OfNothingIsNaN_AndOfEvenCountsTheMidpoint()
    {
        Assert.True(double.IsNaN(Percentiles.Of([], 50)));
        Assert.Equal(2.5, Percentiles.Of([4, 1, 3, 2], 50));
    }

    [Fact]
    public void From_PoolsGapsOverRequests_AndDividesByTheWallTime()
    {
        var run = new DriverRun(
        [
            new RequestRecord(PromptTokens: 10, TtftMs: 100, GapsMs: [10, 20, 30], OutputTokens: 4),
            new RequestRecord(PromptTokens: 10, TtftMs: 300, GapsMs: [40], OutputTokens: 2),
            new RequestRecord(PromptTokens: 10, TtftMs: 200, GapsMs: [], OutputTokens: 1),
        ],
            TimeSpan.FromSeconds(2));
        LevelStatistics s = LevelStatistics.From(concurrency: 3, run);
        Assert.Equal((3, 3, 30, 7), (s.Concurrency, s.Completed, s.InputTokens, s.OutputTokens));
        Assert.Equal(1.5, s.RequestsPerS);
        Assert.Equal(3.5, s.OutputTokensPerS);
        Assert.Equal(18.5, s.TotalTokensPerS);
        Assert.Equal(200, s.MeanTtftMs);
        Assert.Equal(200, s.MedianTtftMs);
        Assert.Equal(298, s.P99TtftMs, precision: 10);
        Assert.Equal(25, s.MeanItlMs); // every gap counts once: (10+20+30+40)/4, not the mean of per-request means (30)
        Assert.Equal(25, s.MedianItlMs);
        Assert.Equal(39.7, s.P99ItlMs, precision: 10);
    }
}
