namespace SharpServe.Engine.Tokenization;

/// <summary>How llama.cpp classifies a vocabulary entry (GGUF <c>tokenizer.ggml.token_type</c> values).</summary>
public enum TokenKind
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>
/// Everything needed to rebuild a byte-level BPE tokenizer, in the form both checkpoint formats
/// can express: HF <c>tokenizer.json</c> + <c>tokenizer_config.json</c>, and GGUF <c>tokenizer.*</c> keys.
/// </summary>
/// <param name="Tokens">id → token text; regular tokens in GPT-2 byte-to-unicode form ("Ġthe"), added tokens verbatim, padding rows as "[PADn]".</param>
/// <param name="Kinds">id → kind; same length as <paramref name="Tokens"/>.</param>
/// <param name="Merges">BPE merges in rank order, each "left right".</param>
/// <param name="Pre">Pre-tokenizer name as llama.cpp knows it ("qwen2", "deepseek-r1-qwen").</param>
/// <param name="ChatTemplate">Jinja chat template, if the model has one.</param>
public sealed record TokenizerSpec(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<TokenKind> Kinds,
    IReadOnlyList<string> Merges,
    string Pre,
    int? BosId,
    int? EosId,
    int? PadId,
    bool AddBos,
    string? ChatTemplate)
{
    /// <summary>Text of an embedding row that has no token (the vocabulary is padded up to the model's vocab_size).</summary>
    public static string PaddingText(int id) => $"[PAD{id}]";

    /// <summary>
    /// This spec with padding rows appended up to <paramref name="vocabSize"/>. Tokenizer files only
    /// record ids up to the highest real token, so a loader pads to the model's vocab_size with this.
    /// </summary>
    public TokenizerSpec WithPaddingTo(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, Tokens.Count);
        if (vocabSize == Tokens.Count)
        {
            return this;
        }

        var tokens = new List<string>(Tokens);
        var kinds = new List<TokenKind>(Kinds);
        for (int id = Tokens.Count; id < vocabSize; id++)
        {
            tokens.Add(PaddingText(id));
            kinds.Add(TokenKind.Unused);
        }

        return this with { Tokens = tokens, Kinds = kinds };
    }
}
