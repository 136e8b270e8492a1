using System.Net.Http.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>A client that goes away mid-stream must not keep its request running or its KV blocks held.</summary>
[Collection(ServerCollection.Name)]
public sealed class DisconnectTests(ServerFixture fixture)
{
    [Fact]
    public async Task AbandonedStream_IsAbortedAndItsBlocksFreed()
    {
        var engine = fixture.Server.Engine;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions"))
        {
            request.Content = JsonContent.Create(new { prompt = "Tell me a long story", max_tokens = 400, ignore_eos = true, stream = true });
            using var response = await fixture.Server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
            Assert.True(engine.Stats.FreeKvBlocks < engine.KvBlockCount, "the running request holds blocks");
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((engine.Stats.FreeKvBlocks != engine.KvBlockCount || engine.Stats.Running != 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(engine.KvBlockCount, engine.Stats.FreeKvBlocks);
        Assert.Equal(0, engine.Stats.Running);
        Assert.True(engine.Stats.GenerationTokens < 400 * 2, "generation stopped early");
    }
}
