using System.Net;
using System.Net.Http.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>An engine holding as many sequences as it accepts answers 429 with Retry-After.</summary>
public sealed class QueueFullTests
{
    [Fact]
    public async Task FullQueue_Is429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(maxNumSeqs: 1, maxQueue: 0);
        using var busy = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "Keep going", max_tokens = 400, ignore_eos = true, stream = true }),
        };
        using var running = await server.Client.SendAsync(busy, HttpCompletionOption.ResponseHeadersRead);

        var refused = await server.Client.PostJsonAsync("/v1/completions", new { prompt = "me too", max_tokens = 1 });

        await ErrorTests.AssertErrorAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
    }
}
