using SharpServe.Server.Hosting;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>A stream waiting on a slow prefill sends SSE comments, so idle-timeout proxies do not cut it.</summary>
public sealed class KeepAliveTests
{
    [Fact]
    public async Task SlowPrefill_SendsKeepAliveComments_ThenTheStream()
    {
        // One prompt token per step makes a long prompt's prefill take many steps.
        await using var server = await TestServer.StartAsync(options: new ServerOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(20) }, maxNumBatchedTokens: 1);
        string prompt = string.Join(' ', Enumerable.Repeat("history of the world", 60));
        var response = await server.Client.PostJsonAsync("/v1/completions", new { prompt, max_tokens = 2, stream = true });
        string body = await response.Content.ReadAsStringAsync();

        Assert.StartsWith(": keep-alive\n\n", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains("data: {", body, StringComparison.Ordinal);
    }
}
