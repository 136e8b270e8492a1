namespace SharpServe.Engine.Sampling;

/// <summary>
/// One request's sampling settings, with vLLM's names, defaults and validation rules. Properties are
/// get-only (no <c>with</c> bypass), so every instance has passed the constructor's checks.
/// </summary>
public sealed record SamplingParams
{
    /// <param name="topK">0 or -1 disables top-k (vLLM accepts both).</param>
    /// <param name="maxTokens">Null means no limit from the request (the context length still applies).</param>
    /// <param name="logprobs">Null: none; 0: only the sampled token's; n: also the top n.</param>
    /// <param name="n">Completions to generate from the prompt (choices); they share the prompt's KV blocks.</param>
    public SamplingParams(
        float temperature = 1f,
        float topP = 1f,
        int topK = 0,
        float minP = 0f,
        float repetitionPenalty = 1f,
        float presencePenalty = 0f,
        float frequencyPenalty = 0f,
        IReadOnlyDictionary<int, float>? logitBias = null,
        int? seed = null,
        int? maxTokens = 16,
        int minTokens = 0,
        IReadOnlyList<int>? stopTokenIds = null,
        bool ignoreEos = false,
        IReadOnlyList<string>? stop = null,
        bool includeStopStrInOutput = false,
        int? logprobs = null,
        bool skipSpecialTokens = true,
        int n = 1)
    {
        Require(temperature >= 0 && float.IsFinite(temperature), "temperature must be finite and >= 0");
        Require(topP > 0 && topP <= 1, "top_p must be in (0, 1]");
        Require(topK >= -1, "top_k must be -1 or 0 (disabled) or at least 1");
        Require(minP >= 0 && minP <= 1, "min_p must be in [0, 1]");
        Require(repetitionPenalty > 0 && float.IsFinite(repetitionPenalty), "repetition_penalty must be finite and > 0");
        Require(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty must be in [-2, 2]");
        Require(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty must be in [-2, 2]");
        Require(maxTokens is null or >= 1, "max_tokens must be at least 1");
        Require(minTokens >= 0 && (maxTokens is null || minTokens <= maxTokens), "min_tokens must be >= 0 and <= max_tokens");
        Require(logprobs is null or >= 0, "logprobs must be >= 0");
        Require(n >= 1, "n must be at least 1");

        // Copies, so a caller mutating its collection afterwards cannot change a validated request.
        var bias = new Dictionary<int, float>();
        foreach (var (token, value) in logitBias ?? new Dictionary<int, float>())
        {
            Require(token >= 0, $"logit_bias token id {token} must be >= 0");
            Require(float.IsFinite(value), $"logit_bias for token {token} must be finite");
            bias[token] = value;
        }

        int[] stopIds = [.. stopTokenIds ?? []];
        Require(stopIds.All(token => token >= 0), "stop_token_ids entries must be >= 0");
        string[] stopStrings = [.. stop ?? []];
        Require(stopStrings.All(text => !string.IsNullOrEmpty(text)), "stop strings must be non-empty");

        Temperature = temperature;
        TopP = topP;
        TopK = topK;
        MinP = minP;
        RepetitionPenalty = repetitionPenalty;
        PresencePenalty = presencePenalty;
        FrequencyPenalty = frequencyPenalty;
        LogitBias = bias;
        Seed = seed;
        MaxTokens = maxTokens;
        MinTokens = minTokens;
        StopTokenIds = stopIds;
        IgnoreEos = ignoreEos;
        Stop = stopStrings;
        IncludeStopStrInOutput = includeStopStrInOutput;
        Logprobs = logprobs;
        SkipSpecialTokens = skipSpecialTokens;
        N = n;
    }

    public float Temperature { get; }

    public float TopP { get; }

    public int TopK { get; }

    public float MinP { get; }

    public float RepetitionPenalty { get; }

    public float PresencePenalty { get; }

    public float FrequencyPenalty { get; }

    public IReadOnlyDictionary<int, float> LogitBias { get; }

    public int? Seed { get; }

    public int? MaxTokens { get; }

    public int MinTokens { get; }

    public IReadOnlyList<int> StopTokenIds { get; }

    public bool IgnoreEos { get; }

    public IReadOnlyList<string> Stop { get; }

    public bool IncludeStopStrInOutput { get; }

    public int? Logprobs { get; }

    public bool SkipSpecialTokens { get; }

    public int N { get; }

    /// <summary>
    /// The seed of choice <paramref name="index"/> when n &gt; 1: seed + index, as vLLM derives its child
    /// requests' seeds, so each choice is reproducible yet different from its siblings.
    /// </summary>
    public int? SeedOfChoice(int index) => Seed + index;

    private static void Require(bool valid, string message)
    {
        if (!valid)
        {
            throw new ArgumentException(message);
        }
    }
}
