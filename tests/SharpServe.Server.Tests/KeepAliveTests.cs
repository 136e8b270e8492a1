using SharpServe.Server.Hosting;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>A stream waiting on a slow step sends SSE comments, so idle-timeout proxies do not cut it.</summary>
public sealed class KeepAliveTests
{
    [Fact]
    public async Task StalledStream_SendsKeepAliveComments_ThenTheStream()
    {
        // The engine thread is held before the first token leaves it, as a long prefill would hold it.
        using var hang = new HangingSink();
        await using var server = await TestServer.StartAsync(options: new ServerOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(20) }, sink: hang);
        var request = server.Client.PostJsonAsync("/v1/completions", new { prompt = "history of the world", max_tokens = 2, stream = true });
        Assert.True(hang.Entered.Wait(TimeSpan.FromSeconds(30)), "the engine never reached the sink");
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        hang.Release.Set();
        string body = await (await request).Content.ReadAsStringAsync();

        Assert.StartsWith(": keep-alive\n\n: keep-alive\n\n", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains("data: {", body, StringComparison.Ordinal);
    }
}
