using System.Text.Json.Serialization;

namespace SharpServe.Server.Protocol;

/// <summary>A /v1/completions response, or (object "text_completion" too, as OpenAI sends) one streamed chunk of it.</summary>
public sealed record CompletionResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<CompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UsageInfo? Usage)
{
    public string Object => "text_completion";
}

/// <summary>
/// One choice; with return_token_ids, vLLM's placement: the generated ids (a stream's chunk: that chunk's ids) and
/// the prompt's ids (a stream: the choice's first chunk only) sit in the choice.
/// </summary>
public sealed record CompletionChoice(
    int Index,
    string Text,
    CompletionLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? TokenIds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? PromptTokenIds = null);

/// <summary>The legacy completions logprobs shape: parallel lists, top alternatives as token text → logprob.</summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>?> TopLogprobs,
    IReadOnlyList<int> TextOffset);
