using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Builds DeepSeek-R1-Distill-Qwen's tokenizer from a Qwen2.5-family tokenizer.json: its BPE model
/// (vocabulary and merges) is shared, its added tokens are replaced by the distill's.
/// </summary>
public static class DistillTokenizer
{
    public const int RegularTokenCount = DistillAddedTokens.FirstId;
    public const int MergeCount = 151387;

    /// <summary>Ids below this hold real tokens; the rest up to vocab_size are padding rows.</summary>
    public static int TokenCount => DistillAddedTokens.FirstId + DistillAddedTokens.InIdOrder.Count;

    /// <param name="qwenTokenizerJsonPath">A Qwen2.5 / Qwen3 tokenizer.json (see <see cref="TokenizerLocator"/>); only its model section is used.</param>
    /// <param name="vocabSize">The model's vocab_size (151936 for the real model); rows past the last token become padding.</param>
    /// <exception cref="ModelFormatException">The file is not the Qwen2.5 BPE (wrong vocabulary or merge count).</exception>
    public static TokenizerSpec Build(string qwenTokenizerJsonPath, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, TokenCount);
        var json = HfTokenizerJson.Read(qwenTokenizerJsonPath);
        if (json.Vocab.Count != RegularTokenCount || json.Merges.Count != MergeCount)
        {
            throw new ModelFormatException(
                qwenTokenizerJsonPath,
                $"has {json.Vocab.Count} tokens and {json.Merges.Count} merges; the Qwen2.5 BPE has {RegularTokenCount} and {MergeCount}");
        }

        var tokens = new List<string>(vocabSize);
        var kinds = new List<TokenKind>(vocabSize);
        for (int id = 0; id < RegularTokenCount; id++)
        {
            tokens.Add(json.Vocab.TryGetValue(id, out string? text)
                ? text
                : throw new ModelFormatException(qwenTokenizerJsonPath, $"model.vocab has no token with id {id}"));
            kinds.Add(TokenKind.Normal);
        }

        foreach (var (content, special) in DistillAddedTokens.InIdOrder)
        {
            tokens.Add(content);
            kinds.Add(special ? TokenKind.Control : TokenKind.UserDefined);
        }

        var spec = new TokenizerSpec(
            tokens,
            kinds,
            json.Merges,
            "deepseek-r1-qwen",
            BosId: DistillAddedTokens.BeginOfSentenceId,
            EosId: DistillAddedTokens.EndOfSentenceId,
            PadId: DistillAddedTokens.EndOfSentenceId,
            AddBos: true,
            DistillChatTemplate.Text);
        return spec.WithPaddingTo(vocabSize);
    }
}
