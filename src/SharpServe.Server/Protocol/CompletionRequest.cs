using SharpServe.Server.Json;

namespace SharpServe.Server.Protocol;

/// <summary>The body of POST /v1/completions.</summary>
public sealed class CompletionRequest : SamplingRequest
{
    public PromptInput? Prompt { get; init; }

    /// <summary>Top alternatives to report per token (0: only the sampled token's logprob).</summary>
    public int? Logprobs { get; init; }
}
