namespace SharpServe.Server.Protocol;

/// <summary>vLLM's POST /tokenize body: a prompt, or chat messages rendered with the chat template.</summary>
public sealed class TokenizeRequest
{
    public string? Model { get; init; }

    public string? Prompt { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Null: true for a prompt, false for messages (the template writes the special tokens), as vLLM does.</summary>
    public bool? AddSpecialTokens { get; init; }

    public bool AddGenerationPrompt { get; init; } = true;
}

public sealed record TokenizeResponse(int Count, int MaxModelLen, IReadOnlyList<int> Tokens);

/// <summary>vLLM's POST /detokenize body.</summary>
public sealed class DetokenizeRequest
{
    public string? Model { get; init; }

    public IReadOnlyList<int>? Tokens { get; init; }
}

public sealed record DetokenizeResponse(string Prompt);
