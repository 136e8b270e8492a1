using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class SamplingParamsTests
{
    [Fact]
    public void Defaults_AreVllms()
    {
        var p = new SamplingParams();
        Assert.Equal((1f, 1f, 0, 0f, 1f, 0f, 0f), (p.Temperature, p.TopP, p.TopK, p.MinP, p.RepetitionPenalty, p.PresencePenalty, p.FrequencyPenalty));
        Assert.Equal((16, 0, false, false, true), (p.MaxTokens, p.MinTokens, p.IgnoreEos, p.IncludeStopStrInOutput, p.SkipSpecialTokens));
        Assert.Null(p.Seed);
        Assert.Null(p.Logprobs);
        Assert.Empty(p.LogitBias);
        Assert.Empty(p.Stop);
        Assert.Empty(p.StopTokenIds);
    }

    public static TheoryData<string, Func<SamplingParams>> Invalid => new()
    {
        { "temperature", () => new SamplingParams(temperature: -0.1f) },
        { "temperature", () => new SamplingParams(temperature: float.NaN) },
        { "top_p", () => new SamplingParams(topP: 0f) },
        { "top_p", () => new SamplingParams(topP: 1.01f) },
        { "top_k", () => new SamplingParams(topK: -2) },
        { "min_p", () => new SamplingParams(minP: 1.5f) },
        { "repetition_penalty", () => new SamplingParams(repetitionPenalty: 0f) },
        { "presence_penalty", () => new SamplingParams(presencePenalty: 2.5f) },
        { "frequency_penalty", () => new SamplingParams(frequencyPenalty: -2.5f) },
        { "max_tokens", () => new SamplingParams(maxTokens: 0) },
        { "min_tokens", () => new SamplingParams(maxTokens: 4, minTokens: 5) },
        { "min_tokens", () => new SamplingParams(minTokens: -1) },
        { "logprobs", () => new SamplingParams(logprobs: -1) },
        { "logit_bias", () => new SamplingParams(logitBias: new Dictionary<int, float> { [-1] = 1f }) },
        { "logit_bias", () => new SamplingParams(logitBias: new Dictionary<int, float> { [3] = float.PositiveInfinity }) },
        { "stop_token_ids", () => new SamplingParams(stopTokenIds: [-5]) },
        { "stop strings", () => new SamplingParams(stop: [""]) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidValues_AreRefused_NamingTheField(string field, Func<SamplingParams> create)
    {
        var error = Assert.Throws<ArgumentException>(create);
        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collections_AreCopied_SoLaterMutationCannotBypassValidation()
    {
        var bias = new Dictionary<int, float> { [1] = 2f };
        var stop = new List<string> { "x" };
        var p = new SamplingParams(logitBias: bias, stop: stop, topK: -1, maxTokens: null, minTokens: 100);
        bias[1] = float.NaN;
        stop.Add("");
        Assert.Equal(2f, p.LogitBias[1]);
        Assert.Equal(["x"], p.Stop);
    }
}
