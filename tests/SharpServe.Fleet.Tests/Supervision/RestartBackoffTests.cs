using Microsoft.Extensions.Time.Testing;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Fleet.Tests.Supervision;

public sealed class RestartBackoffTests
{
    [Fact]
    public void QuickCrashes_DoubleTheDelayUpTo30Seconds()
    {
        var time = new FakeTimeProvider();
        var backoff = new RestartBackoff(time);

        var delays = Enumerable.Range(0, 8).Select(_ =>
        {
            backoff.Started();
            time.Advance(TimeSpan.FromSeconds(5));
            return backoff.NextDelay().TotalSeconds;
        }).ToList();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void AnInstanceUpFor60Seconds_StartsOverAtOneSecond()
    {
        var time = new FakeTimeProvider();
        var backoff = new RestartBackoff(time);
        backoff.NextDelay();
        backoff.NextDelay();

        backoff.Started();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TimeSpan.FromSeconds(4), backoff.NextDelay());

        backoff.Started();
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.NextDelay());

        backoff.Started();
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.NextDelay());
    }

    [Theory]
    [InlineData(0, "exited with code 0")]
    [InlineData(3, "exited with code 3")]
    [InlineData(137, "exited with SIGKILL")]
    [InlineData(143, "exited with SIGTERM")]
    [InlineData(139, "exited with SIGSEGV")]
    [InlineData(200, "exited with code 200")]
    public void ExitCodes_ReadAsCodesOrSignals(int exitCode, string expected) => Assert.Equal(expected, ExitReason.Describe(exitCode));
}
