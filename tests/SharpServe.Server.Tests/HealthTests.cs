using System.Net;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Hosting;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>/health must turn 503 when the engine hangs or dies: a router must not keep sending it traffic.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Health_IsUnavailableWhileAStepHangs_AndRecovers()
    {
        using var hang = new HangingSink();
        await using var server = await TestServer.StartAsync(options: new ServerOptions { EngineStallTimeout = TimeSpan.FromMilliseconds(300) }, sink: hang);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);

        var request = server.Client.PostJsonAsync("/v1/completions", new { prompt = "Hi", max_tokens = 2 });
        Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(30)), "the engine never reached the sink");
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        var health = await server.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("no progress", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        hang.Release.Set();
        Assert.Equal(HttpStatusCode.OK, (await request).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Health_IsUnavailableOnceTheEngineLoopDied()
    {
        await using var server = await TestServer.StartAsync(sink: new ThrowingSink());
        var failed = await server.Client.PostJsonAsync("/v1/completions", new { prompt = "Hi", max_tokens = 2 });
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);

        var health = await server.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("stopped", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Throws on the engine thread, which stops the engine loop like a failed forward pass.</summary>
    private sealed class ThrowingSink : IEngineMetricsSink
    {
        public void ObserveQueueTime(double seconds) => throw new InvalidOperationException("test: the engine dies");

        public void ObserveTimeToFirstToken(double seconds)
        {
        }

        public void ObserveInterTokenLatency(double seconds)
        {
        }

        public void ObserveEndToEndLatency(double seconds)
        {
        }

        public void RequestFinished(FinishReason reason)
        {
        }
    }
}
