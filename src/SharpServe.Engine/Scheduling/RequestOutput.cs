using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Scheduling;

/// <summary>Prompt and completion token counts so far (the OpenAI API's usage object).</summary>
public readonly record struct Usage(int PromptTokens, int CompletionTokens);

/// <summary>One generated token's log-probability and, when n ≥ 1 was asked, the top n alternatives.</summary>
public sealed record GeneratedLogprob(int TokenId, float Logprob, IReadOnlyList<TokenLogprob> Top);

/// <summary>
/// What one engine step added to one choice of a request: the new token ids, the text they completed (held
/// back while a stop string may be forming), logprobs when asked, and the finish reason on the choice's
/// last output. With n &gt; 1 the choices' outputs interleave on one stream, told apart by
/// <see cref="Index"/>; each reports its own completion tokens in <see cref="Usage"/> (the API's usage
/// object sums them, counting the prompt once).
/// </summary>
public sealed record RequestOutput(
    string RequestId,
    int Index,
    IReadOnlyList<int> NewTokenIds,
    string Text,
    IReadOnlyList<GeneratedLogprob>? Logprobs,
    FinishReason? FinishReason,
    Usage Usage)
{
    public bool Finished => FinishReason is not null;
}
