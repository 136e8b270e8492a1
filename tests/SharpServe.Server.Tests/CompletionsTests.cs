using System.Net;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>POST /v1/completions over raw HTTP (the OpenAI .NET SDK has no public completions client).</summary>
[Collection(ServerCollection.Name)]
public sealed class CompletionsTests(ServerFixture fixture)
{
    private readonly HttpClient _http = fixture.Server.Client;

    [Fact]
    public async Task TextPrompt_ReturnsTheGreedyContinuationOfItsTokens()
    {
        var byText = await (await _http.PostJsonAsync("/v1/completions", new { model = TestServer.ModelName, prompt = "The capital of France is", max_tokens = 6, temperature = 0 })).JsonAsync();
        int[] ids = fixture.Server.Tokenizer.Encode("The capital of France is", addSpecialTokens: true);
        var byIds = await (await _http.PostJsonAsync("/v1/completions", new { prompt = ids, max_tokens = 6, temperature = 0 })).JsonAsync();

        Assert.Equal("text_completion", byText.GetProperty("object").GetString());
        var choice = byText.GetProperty("choices")[0];
        Assert.Equal(byIds.GetProperty("choices")[0].GetProperty("text").GetString(), choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = byText.GetProperty("usage");
        Assert.Equal(ids.Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(6, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(ids.Length + 6, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task MaxTokensAbsent_DefaultsToSixteenAsInVllm()
    {
        var body = await (await _http.PostJsonAsync("/v1/completions", new { prompt = "Hello", ignore_eos = true })).JsonAsync();

        Assert.Equal(16, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Logprobs_ReportTheSampledTokenAndTheTopAlternatives()
    {
        var body = await (await _http.PostJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 4, temperature = 0, logprobs = 3 })).JsonAsync();

        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(4, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(4, logprobs.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
        var top = logprobs.GetProperty("top_logprobs")[0];
        Assert.InRange(top.EnumerateObject().Count(), 1, 3);

        // Greedy: the sampled token is the most likely one, so its logprob is the best of the top ones.
        float sampled = logprobs.GetProperty("token_logprobs")[0].GetSingle();
        Assert.Equal(top.EnumerateObject().Max(p => p.Value.GetSingle()), sampled, 5);
    }

    [Fact]
    public async Task StopString_EndsTheTextBeforeIt()
    {
        var free = await (await _http.PostJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 12, temperature = 0, ignore_eos = true })).JsonAsync();
        string text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        string stop = text.Substring(text.Length / 2, 1);

        foreach (object stopField in new object[] { stop, new[] { stop } })
        {
            var body = await (await _http.PostJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 12, temperature = 0, ignore_eos = true, stop = stopField })).JsonAsync();

            var choice = body.GetProperty("choices")[0];
            Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
            Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        }
    }

    [Fact]
    public async Task SamplingFields_AreAcceptedAndSeededRequestsRepeat()
    {
        var request = new
        {
            prompt = "Hello",
            max_tokens = 8,
            temperature = 0.8,
            top_p = 0.9,
            top_k = 50,
            min_p = 0.01,
            repetition_penalty = 1.1,
            presence_penalty = 0.5,
            frequency_penalty = 0.5,
            logit_bias = new Dictionary<string, float> { ["11"] = -5 },
            seed = 3,
            min_tokens = 2,
            stop_token_ids = new[] { 0 },
            include_stop_str_in_output = false,
            skip_special_tokens = true,
        };
        var first = await _http.PostJsonAsync("/v1/completions", request);
        var second = await _http.PostJsonAsync("/v1/completions", request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(
            (await first.JsonAsync()).GetProperty("choices")[0].GetProperty("text").GetString(),
            (await second.JsonAsync()).GetProperty("choices")[0].GetProperty("text").GetString());
    }
}
