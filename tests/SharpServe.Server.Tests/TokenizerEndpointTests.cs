using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>vLLM's /tokenize and /detokenize.</summary>
[Collection(ServerCollection.Name)]
public sealed class TokenizerEndpointTests(ServerFixture fixture)
{
    private readonly HttpClient _http = fixture.Server.Client;

    [Fact]
    public async Task TokenizeThenDetokenize_RoundTrips()
    {
        const string text = "Hello, 世界! <think>";

        var tokenized = await (await _http.PostJsonAsync("/tokenize", new { model = TestServer.ModelName, prompt = text, add_special_tokens = false })).JsonAsync();
        int[] tokens = [.. tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
        var detokenized = await (await _http.PostJsonAsync("/detokenize", new { model = TestServer.ModelName, tokens })).JsonAsync();

        Assert.Equal(fixture.Server.Tokenizer.Encode(text, addSpecialTokens: false), tokens);
        Assert.Equal(tokens.Length, tokenized.GetProperty("count").GetInt32());
        Assert.Equal(TestServer.MaxModelLen, tokenized.GetProperty("max_model_len").GetInt32());
        Assert.Equal(text, detokenized.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task TokenizeMessages_CountsWhatChatCompletionsSends()
    {
        var messages = new[] { new { role = "user", content = "What is 2 + 2?" } };

        var tokenized = await (await _http.PostJsonAsync("/tokenize", new { messages })).JsonAsync();
        var chat = await (await _http.PostJsonAsync("/v1/chat/completions", new { messages, max_tokens = 1 })).JsonAsync();

        Assert.Equal(chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), tokenized.GetProperty("count").GetInt32());
    }
}
