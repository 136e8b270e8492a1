using SharpServe.Cli.Benchmarks.Serve;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

public sealed class ArrivalScheduleTests
{
    // 20,000 gaps: the sample mean's standard error is 0.7 % of the mean (Poisson) and the sample CV's
    // about 2 % even at burstiness 0.25 (gamma's kurtosis 6 / shape), so the bounds below sit 5+ standard
    // errors out; with a fixed seed the draw is the same on every run anyway.
    private const int Samples = 20_000;

    [Fact]
    public void Poisson_gaps_average_one_over_the_rate_with_cv_one()
    {
        double[] gaps = ArrivalSchedule.Gaps(Samples, requestRate: 5, burstiness: 1, new Random(7));

        Assert.InRange(gaps.Average(), 0.2 * 0.95, 0.2 * 1.05);
        Assert.InRange(Cv(gaps), 0.95, 1.05);
        Assert.All(gaps, g => Assert.True(g >= 0));
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(4)]
    [InlineData(16)]
    public void Gamma_gaps_keep_the_mean_and_have_cv_one_over_root_burstiness(double burstiness)
    {
        double[] gaps = ArrivalSchedule.Gaps(Samples, requestRate: 2, burstiness, new Random(11));

        Assert.InRange(gaps.Average(), 0.5 * 0.95, 0.5 * 1.05);
        double expected = 1 / Math.Sqrt(burstiness);
        Assert.InRange(Cv(gaps), expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void Infinite_rate_sends_everything_at_once()
    {
        Assert.All(ArrivalSchedule.Gaps(100, double.PositiveInfinity, 1, new Random(1)), g => Assert.Equal(0, g));
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule()
    {
        Assert.Equal(ArrivalSchedule.Gaps(50, 3, 0.5, new Random(5)), ArrivalSchedule.Gaps(50, 3, 0.5, new Random(5)));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    [InlineData(1, double.NaN)]
    public void Bad_rate_or_burstiness_is_refused(double rate, double burstiness)
    {
        Assert.Throws<ArgumentException>(() => ArrivalSchedule.Gaps(10, rate, burstiness, new Random(1)));
    }

    private static double Cv(double[] values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return Math.Sqrt(variance) / mean;
    }
}
