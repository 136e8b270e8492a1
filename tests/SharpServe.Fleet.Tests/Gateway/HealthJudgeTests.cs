using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

public class HealthJudgeTests
{
    [Fact]
    public void Unknown_until_a_probe_succeeds_then_two_failures_make_it_unhealthy_and_one_success_heals()
    {
        var judge = new HealthJudge();
        Assert.Equal(HealthState.Unknown, judge.State);
        judge.ProbeFailed("refused");
        Assert.Equal(HealthState.Unknown, judge.State);
        Assert.True(judge.ProbeSucceeded());
        Assert.False(judge.ProbeSucceeded());
        Assert.Equal(HealthState.Healthy, judge.State);
        judge.ProbeFailed("503");
        Assert.Equal(HealthState.Healthy, judge.State);
        judge.ProbeFailed("503");
        Assert.Equal(HealthState.Unhealthy, judge.State);
        Assert.Equal("503", judge.LastError);
        Assert.True(judge.ProbeSucceeded());
        Assert.Null(judge.LastError);
    }

    [Fact]
    public void A_passive_failure_is_unhealthy_at_once()
    {
        var judge = new HealthJudge();
        judge.ProbeSucceeded();
        judge.PassiveFailure("connection refused");
        Assert.Equal(HealthState.Unhealthy, judge.State);
        Assert.True(judge.ProbeSucceeded());
    }
}
