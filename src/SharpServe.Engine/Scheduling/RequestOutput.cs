using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Scheduling;

/// <summary>Prompt and completion token counts so far (the OpenAI API's usage object).</summary>
public readonly record struct Usage(int PromptTokens, int CompletionTokens);

/// <summary>One generated token's log-probability and, when n ≥ 1 was asked, the top n alternatives.</summary>
public sealed record GeneratedLogprob(int TokenId, float Logprob, IReadOnlyList<TokenLogprob> Top);

/// <summary>
/// What one engine step added to a request: the new token ids, the text they completed (held back while a
/// stop string may be forming), logprobs when asked, and the finish reason on the last output.
/// </summary>
public sealed record RequestOutput(
    string RequestId,
    IReadOnlyList<int> NewTokenIds,
    string Text,
    IReadOnlyList<GeneratedLogprob>? Logprobs,
    FinishReason? FinishReason,
    Usage Usage)
{
    public bool Finished => FinishReason is not null;
}
