using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>Reads and writes Hugging Face <c>tokenizer.json</c> + <c>tokenizer_config.json</c> as a <see cref="TokenizerSpec"/>.</summary>
/// <remarks>
/// The files only know ids up to the highest real token, so <see cref="Read"/> returns that many rows
/// (gaps filled with padding rows); <see cref="TokenizerSpec.WithPaddingTo"/> extends it to the model's
/// vocab_size. Padding rows are not written, so Read(Write(spec)) equals spec up to trailing padding.
/// </remarks>
public static class HfTokenizerFiles
{
    public const string TokenizerJsonName = "tokenizer.json";
    public const string TokenizerConfigName = "tokenizer_config.json";

    // Only the DeepSeek-R1 distills add this token to the Qwen2 BPE, and llama.cpp knows them as their
    // own pre-tokenizer name (same regex as qwen2), so its presence is how we tell them apart.
    private const string DistillMarkerToken = "<｜User｜>";

    // Guards the id-indexed arrays against a corrupt id; real vocabularies stay far below.
    private const int MaxTokenCount = 1 << 24;

    /// <summary>Reads a model directory's tokenizer files; throws <see cref="Loading.ModelFormatException"/> naming the file on bad input.</summary>
    /// <param name="tokenizerConfigPath">Null when the model has no tokenizer_config.json (then no EOS, PAD or chat template).</param>
    /// <remarks>
    /// BOS comes from the TemplateProcessing post-processor when it prepends one (AddBos true), else from
    /// tokenizer_config's bos_token with its add_bos_token. Added tokens become Control when special,
    /// UserDefined otherwise; model.vocab entries are Normal.
    /// </remarks>
    public static TokenizerSpec Read(string tokenizerJsonPath, string? tokenizerConfigPath)
    {
        var json = HfTokenizerJson.Read(tokenizerJsonPath);
        var config = tokenizerConfigPath is null ? HfTokenizerConfig.Empty : HfTokenizerConfig.Read(tokenizerConfigPath);
        string configPath = tokenizerConfigPath ?? TokenizerConfigName;

        int count = 1 + Math.Max(json.Vocab.Keys.DefaultIfEmpty(-1).Max(), json.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max());
        if (count > MaxTokenCount)
        {
            throw new ModelFormatException(tokenizerJsonPath, $"token id {count - 1} is implausibly large");
        }

        var tokens = new string[count];
        var kinds = new TokenKind[count];
        for (int id = 0; id < count; id++)
        {
            (tokens[id], kinds[id]) = json.Vocab.TryGetValue(id, out string? text)
                ? (text, TokenKind.Normal)
                : (TokenizerSpec.PaddingText(id), TokenKind.Unused);
        }

        // An added token wins over a vocab entry with its id, as in HF's id_to_token.
        var idsByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        var addedIds = new HashSet<int>();
        foreach (var added in json.AddedTokens)
        {
            if (!addedIds.Add(added.Id))
            {
                throw new ModelFormatException(tokenizerJsonPath, $"added_tokens lists id {added.Id} twice");
            }

            tokens[added.Id] = added.Content;
            kinds[added.Id] = added.Special ? TokenKind.Control : TokenKind.UserDefined;
            idsByContent.TryAdd(added.Content, added.Id);
        }

        foreach (var (id, text) in json.Vocab)
        {
            idsByContent.TryAdd(text, id);
        }

        int? IdOf(string? content, string path, string field) =>
            content is null ? null
            : idsByContent.TryGetValue(content, out int id) ? id
            : throw new ModelFormatException(path, $"{field} \"{content}\" is not a token of {tokenizerJsonPath}");

        var (bosId, addBos) = json.PrependedToken is { } prepended
            ? (IdOf(prepended, tokenizerJsonPath, "post_processor's BOS"), true)
            : (IdOf(config.BosToken, configPath, "bos_token"), config.AddBosToken && config.BosToken is not null);

        return new TokenizerSpec(
            tokens,
            kinds,
            json.Merges,
            json.AddedTokens.Any(t => t.Content == DistillMarkerToken) ? "deepseek-r1-qwen" : "qwen2",
            bosId,
            IdOf(config.EosToken, configPath, "eos_token"),
            IdOf(config.PadToken, configPath, "pad_token"),
            addBos,
            config.ChatTemplate);
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void Write(TokenizerSpec spec, string directory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateForWriting(spec);
        Directory.CreateDirectory(directory);
        HfTokenizerJsonWriter.Write(spec, Path.Combine(directory, TokenizerJsonName));
        HfTokenizerConfigWriter.Write(spec, Path.Combine(directory, TokenizerConfigName));
    }

    private static void ValidateForWriting(TokenizerSpec spec)
    {
        if (spec.Kinds.Count != spec.Tokens.Count)
        {
            throw new ArgumentException($"{spec.Tokens.Count} tokens but {spec.Kinds.Count} kinds", nameof(spec));
        }

        if (spec.AddBos && spec.BosId is null)
        {
            throw new ArgumentException("AddBos is set but there is no BOS id", nameof(spec));
        }

        foreach (var (name, id) in new[] { ("BOS", spec.BosId), ("EOS", spec.EosId), ("PAD", spec.PadId) })
        {
            if (id is int value && ((uint)value >= (uint)spec.Tokens.Count || spec.Kinds[value] == TokenKind.Unused))
            {
                throw new ArgumentException($"{name} id {value} is not a token of the spec", nameof(spec));
            }
        }
    }
}
