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

public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);

/// <summary>The legacy completions logprobs shape: parallel lists, top alternatives as token text → logprob.</summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>?> TopLogprobs,
    IReadOnlyList<int> TextOffset);
