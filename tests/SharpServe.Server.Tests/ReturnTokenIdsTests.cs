using System.Text.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>vLLM's return_token_ids: generated ids in each choice, the prompt's ids beside them (chat: at the top level).</summary>
[Collection(ServerCollection.Name)]
public sealed class ReturnTokenIdsTests(ServerFixture fixture)
{
    private const string Prompt = "The plain ASCII prompt, number 42.";

    private readonly HttpClient _http = fixture.Server.Client;

    [Fact]
    public async Task Completion_ReturnsGeneratedIds_ThatDecodeToTheText_AndThePromptIdsOfTokenize()
    {
        var reply = await (await _http.PostJsonAsync("/v1/completions", Request(stream: false, returnTokenIds: true))).JsonAsync();
        var tokenized = await (await _http.PostJsonAsync("/tokenize", new { prompt = Prompt })).JsonAsync();

        JsonElement choice = reply.GetProperty("choices")[0];
        int[] ids = Ints(choice.GetProperty("token_ids"));
        Assert.Equal(12, ids.Length);
        Assert.Equal(reply.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), ids.Length);
        Assert.Equal(choice.GetProperty("text").GetString(), fixture.Server.Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(Ints(tokenized.GetProperty("tokens")), Ints(choice.GetProperty("prompt_token_ids")));
        Assert.Equal(fixture.Server.Tokenizer.Encode(Prompt, addSpecialTokens: true), Ints(choice.GetProperty("prompt_token_ids")));
    }

    [Fact]
    public async Task Completion_WithoutTheFlag_HasNoIdFields()
    {
        var reply = await (await _http.PostJsonAsync("/v1/completions", Request(stream: false, returnTokenIds: false))).JsonAsync();

        JsonElement choice = reply.GetProperty("choices")[0];
        Assert.False(choice.TryGetProperty("token_ids", out _));
        Assert.False(choice.TryGetProperty("prompt_token_ids", out _));
    }

    /// <summary>As vLLM streams them: each chunk's ids are that chunk's delta, the prompt's ids only in the first chunk.</summary>
    [Fact]
    public async Task StreamedCompletion_ChunksCarryTheirIds_ThePromptIdsOnlyFirst_AndTogetherTheyEqualThePlainReply()
    {
        var plain = await (await _http.PostJsonAsync("/v1/completions", Request(stream: false, returnTokenIds: true))).JsonAsync();
        var chunks = await Sse.ReadChunksAsync(await _http.PostJsonAsync("/v1/completions", Request(stream: true, returnTokenIds: true)));

        var choices = chunks.Select(chunk => chunk.GetProperty("choices")[0]).ToList();
        Assert.Equal(Ints(plain.GetProperty("choices")[0].GetProperty("token_ids")), choices.SelectMany(choice => Ints(choice.GetProperty("token_ids"))));
        Assert.Equal(Ints(plain.GetProperty("choices")[0].GetProperty("prompt_token_ids")), Ints(choices[0].GetProperty("prompt_token_ids")));
        Assert.All(choices.Skip(1), choice => Assert.False(choice.TryGetProperty("prompt_token_ids", out _)));
    }

    [Fact]
    public async Task Chat_ReturnsPromptIdsAtTheTopLevel_AndEachChoicesIds()
    {
        var messages = new[] { new { role = "user", content = Prompt } };
        var reply = await (await _http.PostJsonAsync("/v1/chat/completions", new { messages, max_tokens = 6, temperature = 0, ignore_eos = true, return_token_ids = true })).JsonAsync();
        var tokenized = await (await _http.PostJsonAsync("/tokenize", new { messages })).JsonAsync();

        Assert.Equal(Ints(tokenized.GetProperty("tokens")), Ints(reply.GetProperty("prompt_token_ids")));
        JsonElement choice = reply.GetProperty("choices")[0];
        int[] ids = Ints(choice.GetProperty("token_ids"));
        Assert.Equal(6, ids.Length);
        Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), fixture.Server.Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    private static object Request(bool stream, bool returnTokenIds) =>
        new { prompt = Prompt, max_tokens = 12, temperature = 0, ignore_eos = true, stream, return_token_ids = returnTokenIds };

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetInt32())];
}
