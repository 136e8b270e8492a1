using System.Globalization;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Sampling;
using SharpServe.Server.Errors;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Generation;

/// <summary>
/// Request JSON → <see cref="SamplingParams"/>. Absent fields take vLLM's defaults, temperature and top_p
/// first from the model's generation_config.json as vLLM does; range checks are SamplingParams' own.
/// </summary>
public static class SamplingMapper
{
    /// <param name="maxTokens">Resolved by the endpoint: null lets the sequence grow to the model length.</param>
    /// <param name="logprobs">Null: none; 0: the sampled token's; k: also the top k.</param>
    public static SamplingParams ToParams(SamplingRequest request, int? maxTokens, int? logprobs, GenerationConfig generation)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(generation);
        return new SamplingParams(
            temperature: request.Temperature ?? generation.Temperature ?? 1f,
            topP: request.TopP ?? generation.TopP ?? 1f,
            topK: request.TopK ?? 0,
            minP: request.MinP ?? 0f,
            repetitionPenalty: request.RepetitionPenalty ?? 1f,
            presencePenalty: request.PresencePenalty ?? 0f,
            frequencyPenalty: request.FrequencyPenalty ?? 0f,
            logitBias: LogitBias(request.LogitBias),
            seed: request.Seed,
            maxTokens: maxTokens,
            minTokens: request.MinTokens ?? 0,
            stopTokenIds: request.StopTokenIds,
            ignoreEos: request.IgnoreEos ?? false,
            stop: request.Stop,
            includeStopStrInOutput: request.IncludeStopStrInOutput ?? false,
            logprobs: logprobs,
            skipSpecialTokens: request.SkipSpecialTokens ?? true,
            n: request.N ?? 1);
    }

    /// <summary>OpenAI sends logit_bias keys as strings of token ids.</summary>
    private static Dictionary<int, float>? LogitBias(Dictionary<string, float>? bias) =>
        bias?.ToDictionary(
            entry => int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                ? id
                : throw ApiException.BadRequest($"logit_bias key '{entry.Key}' is not a token id", "logit_bias"),
            entry => entry.Value);
}
