namespace SharpServe.Server.Protocol;

/// <summary>The body of POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : SamplingRequest
{
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>The newer name of max_tokens; it wins when both are given.</summary>
    public int? MaxCompletionTokens { get; init; }

    public bool Logprobs { get; init; }

    public int? TopLogprobs { get; init; }
}
