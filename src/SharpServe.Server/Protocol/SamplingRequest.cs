using System.Text.Json.Serialization;
using SharpServe.Server.Json;

namespace SharpServe.Server.Protocol;

/// <summary>
/// The fields chat and completions requests share: the model, streaming, and the sampling parameters of
/// OpenAI and vLLM's extras. Absent fields are null, so defaults can come from the model.
/// </summary>
public abstract class SamplingRequest
{
    public string? Model { get; init; }

    public bool Stream { get; init; }

    public StreamOptions? StreamOptions { get; init; }

    public int? N { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public int? TopK { get; init; }

    public float? MinP { get; init; }

    public float? RepetitionPenalty { get; init; }

    public float? PresencePenalty { get; init; }

    public float? FrequencyPenalty { get; init; }

    /// <summary>Token id (as a string, OpenAI's JSON form) → bias added to its logit.</summary>
    public Dictionary<string, float>? LogitBias { get; init; }

    public int? Seed { get; init; }

    public int? MaxTokens { get; init; }

    public int? MinTokens { get; init; }

    [JsonConverter(typeof(StringOrListConverter))]
    public IReadOnlyList<string>? Stop { get; init; }

    public IReadOnlyList<int>? StopTokenIds { get; init; }

    public bool? IgnoreEos { get; init; }

    public bool? IncludeStopStrInOutput { get; init; }

    public bool? SkipSpecialTokens { get; init; }

    /// <summary>vLLM's extension: each choice also carries its generated token ids, and the prompt's ids come back too.</summary>
    public bool? ReturnTokenIds { get; init; }

    public bool IncludeUsage => Stream && StreamOptions?.IncludeUsage == true;
}
