using System.Text;
using System.Text.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>The SSE wire format: data events, a closing [DONE], the usage chunk of stream_options.include_usage.</summary>
[Collection(ServerCollection.Name)]
public sealed class StreamingTests(ServerFixture fixture)
{
    private readonly HttpClient _http = fixture.Server.Client;

    [Fact]
    public async Task StreamedCompletion_ConcatenatesToTheWholeOne()
    {
        var whole = await (await _http.PostJsonAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 10, temperature = 0 })).JsonAsync();
        var chunks = await Sse.ReadChunksAsync(await _http.PostJsonAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 10, temperature = 0, stream = true }));

        string text = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), text);
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task IncludeUsage_AddsAFinalChunkWithUsageAndNoChoices()
    {
        var chunks = await Sse.ReadChunksAsync(await _http.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 5,
            stream = true,
            stream_options = new { include_usage = true },
        }));

        var last = chunks[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(chunks[..^1], c => Assert.False(c.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task StreamedChat_OpensEachChoiceWithTheAssistantRole()
    {
        var chunks = await Sse.ReadChunksAsync(await _http.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 4,
            n = 2,
            seed = 5,
            stream = true,
        }));

        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        var choices = chunks.Select(c => c.GetProperty("choices")[0]).ToList();
        foreach (int index in new[] { 0, 1 })
        {
            var ofChoice = choices.Where(c => c.GetProperty("index").GetInt32() == index).ToList();
            Assert.Equal("assistant", ofChoice[0].GetProperty("delta").GetProperty("role").GetString());
            Assert.Equal("length", ofChoice[^1].GetProperty("finish_reason").GetString());
            Assert.Single(ofChoice, c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        }
    }

    [Fact]
    public async Task ChatLogprobs_CarryTokensBytesAndTopAlternatives()
    {
        var body = await (await _http.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_completion_tokens = 3,
            logprobs = true,
            top_logprobs = 2,
        })).JsonAsync();

        var content = body.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        Assert.Equal(3, content.GetArrayLength());
        var first = content[0];
        string token = first.GetProperty("token").GetString()!;
        Assert.Equal(Encoding.UTF8.GetBytes(token).Select(b => (int)b), first.GetProperty("bytes").EnumerateArray().Select(b => b.GetInt32()));
        Assert.Equal(2, first.GetProperty("top_logprobs").GetArrayLength());
    }
}
