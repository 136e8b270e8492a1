namespace SharpServe.Engine.Templates;

/// <summary>
/// The variables Hugging Face passes to a chat template. Messages and tools are dictionaries whose values are
/// strings, numbers, bools, null, lists or nested dictionaries (e.g. role, content, tool_calls).
/// </summary>
public sealed class ChatTemplateContext
{
    public required IReadOnlyList<IReadOnlyDictionary<string, object?>> Messages { get; init; }

    public bool AddGenerationPrompt { get; init; }

    /// <summary>Null leaves bos_token undefined, as transformers does for a tokenizer without one.</summary>
    public string? BosToken { get; init; }

    /// <summary>Null leaves eos_token undefined.</summary>
    public string? EosToken { get; init; }

    /// <summary>Null leaves tools undefined (templates test "if tools").</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>>? Tools { get; init; }
}
