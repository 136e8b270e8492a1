using System.Net;
using System.Text.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>Refused requests: OpenAI's error object with the right status, and the engine left as it was.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture fixture)
{
    private readonly HttpClient _http = fixture.Server.Client;

    public static TheoryData<string, string, string?> BadRequests => new()
    {
        { "/v1/completions", "{\"prompt\": \"hi\",", null },
        { "/v1/completions", "not json", null },
        { "/v1/completions", "null", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"temperature\": \"hot\"}", "temperature" },
        { "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 1.5}", "max_tokens" },
        { "/v1/completions", "{\"prompt\": \"hi\", \"stop\": 3}", "stop" },
        { "/v1/completions", "{\"prompt\": [[1, 2], [3]]}", "prompt" },
        { "/v1/completions", "{}", "prompt" },
        { "/v1/completions", "{\"prompt\": \"hi\", \"temperature\": -1}", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"top_p\": 1.5}", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"top_p\": 0}", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"n\": 0}", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 0}", null },
        { "/v1/completions", "{\"prompt\": \"hi\", \"logit_bias\": {\"x\": 1}}", "logit_bias" },
        { "/v1/completions", "{\"prompt\": [999999999]}", null },
        { "/v1/chat/completions", "{\"messages\": []}", "messages" },
        { "/v1/chat/completions", "{}", "messages" },
        { "/v1/chat/completions", "{\"messages\": [{\"content\": \"no role\"}]}", "messages" },
        { "/v1/chat/completions", "{\"messages\": \"hi\"}", "messages" },
        { "/tokenize", "{}", null },
        { "/detokenize", "{\"tokens\": [-1]}", "tokens" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Is400InOpenAiFormat(string path, string body, string? param)
    {
        var before = fixture.Server.Engine.Stats;

        var response = await _http.PostRawAsync(path, body);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(before, fixture.Server.Engine.Stats);
    }

    [Fact]
    public async Task UnknownModel_Is404()
    {
        var response = await _http.PostJsonAsync("/v1/chat/completions", new { model = "gpt-4", messages = new[] { new { role = "user", content = "hi" } } });

        var error = await AssertErrorAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("gpt-4", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptLongerThanMaxModelLen_Is400StatingBothNumbers()
    {
        int[] prompt = [.. Enumerable.Repeat(100, TestServer.MaxModelLen + 5)];

        var response = await _http.PostJsonAsync("/v1/completions", new { prompt, max_tokens = 1 });

        string message = (await AssertErrorAsync(response, HttpStatusCode.BadRequest)).GetProperty("message").GetString()!;
        Assert.Contains($"{TestServer.MaxModelLen + 5}", message, StringComparison.Ordinal);
        Assert.Contains($"{TestServer.MaxModelLen}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxTokensBeyondTheContext_Is400()
    {
        var response = await _http.PostJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } }, max_tokens = TestServer.MaxModelLen });

        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AfterBadRequests_TheServerStillAnswers()
    {
        await _http.PostRawAsync("/v1/completions", "{{{");
        var response = await _http.PostJsonAsync("/v1/completions", new { prompt = "hi", max_tokens = 2 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await response.JsonAsync()).GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.Equal((int)status, error.GetProperty("code").GetInt32());
        Assert.True(error.TryGetProperty("param", out _));
        return error;
    }
}
