using System.Text.Json;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>What we take from a Hugging Face <c>tokenizer.json</c>: the BPE model, the added tokens, and the BOS its post-processor prepends.</summary>
/// <param name="Vocab">model.vocab as id → token text.</param>
/// <param name="Merges">model.merges in rank order, each "left right".</param>
/// <param name="PrependedToken">Content of the special token the TemplateProcessing post-processor puts before a single sequence, if any.</param>
internal sealed record HfTokenizerJson(
    IReadOnlyDictionary<int, string> Vocab,
    IReadOnlyList<string> Merges,
    IReadOnlyList<HfAddedToken> AddedTokens,
    string? PrependedToken)
{
    /// <exception cref="ModelFormatException">Missing or malformed file, or not a byte-level BPE tokenizer.</exception>
    public static HfTokenizerJson Read(string path)
    {
        using var document = HfJson.Parse(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(path, "the top level is not a JSON object");
        }

        var model = HfJson.Required(root, "model", JsonValueKind.Object, path, "tokenizer");
        string? type = HfJson.Optional(model, "type")?.GetString();
        if (type != "BPE")
        {
            throw new ModelFormatException(path, $"model type '{type}' is not supported; expected a byte-level BPE model (\"type\": \"BPE\")");
        }

        if (!MentionsByteLevel(HfJson.Optional(root, "pre_tokenizer")))
        {
            throw new ModelFormatException(path, "the pre_tokenizer has no ByteLevel step; only byte-level BPE (GPT-2 style) tokenizers are supported");
        }

        return new HfTokenizerJson(
            ReadVocab(model, path),
            ReadMerges(model, path),
            ReadAddedTokens(root, path),
            ReadPrependedToken(root, path));
    }

    private static bool MentionsByteLevel(JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.Object } obj => obj.EnumerateObject().Any(p =>
            (p.Name == "type" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == "ByteLevel") || MentionsByteLevel(p.Value)),
        { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Any(item => MentionsByteLevel(item)),
        _ => false,
    };

    private static Dictionary<int, string> ReadVocab(JsonElement model, string path)
    {
        var vocabJson = HfJson.Required(model, "vocab", JsonValueKind.Object, path, "model");
        var vocab = new Dictionary<int, string>();
        foreach (var entry in vocabJson.EnumerateObject())
        {
            int id = HfJson.Int(entry.Value, path, $"model.vocab[\"{entry.Name}\"]");
            if (!vocab.TryAdd(id, entry.Name))
            {
                throw new ModelFormatException(path, $"model.vocab gives id {id} to both \"{vocab[id]}\" and \"{entry.Name}\"");
            }
        }

        return vocab;
    }

    // Merges come as "left right" strings (tokenizers < 0.20) or as [left, right] pairs (newer).
    private static List<string> ReadMerges(JsonElement model, string path)
    {
        var mergesJson = HfJson.Required(model, "merges", JsonValueKind.Array, path, "model");
        var merges = new List<string>(mergesJson.GetArrayLength());
        foreach (var merge in mergesJson.EnumerateArray())
        {
            string where = $"model.merges[{merges.Count}]";
            if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                string left = HfJson.String(merge[0], path, where);
                string right = HfJson.String(merge[1], path, where);
                if (left.Contains(' ', StringComparison.Ordinal) || right.Contains(' ', StringComparison.Ordinal))
                {
                    throw new ModelFormatException(path, $"{where} has a token with a space, which the \"left right\" merge form cannot hold");
                }

                merges.Add($"{left} {right}");
            }
            else
            {
                merges.Add(HfJson.String(merge, path, where));
            }
        }

        return merges;
    }

    private static List<HfAddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var tokens = new List<HfAddedToken>();
        if (HfJson.Optional(root, "added_tokens") is not { } addedJson)
        {
            return tokens;
        }

        if (addedJson.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(path, "added_tokens is not an array");
        }

        foreach (var token in addedJson.EnumerateArray())
        {
            string where = $"added_tokens[{tokens.Count}]";
            tokens.Add(new HfAddedToken(
                HfJson.Int(HfJson.Required(token, "id", JsonValueKind.Number, path, where), path, $"{where}.id"),
                HfJson.Required(token, "content", JsonValueKind.String, path, where).GetString()!,
                HfJson.Bool(token, "special", fallback: false)));
        }

        return tokens;
    }

    /// <summary>The special token a TemplateProcessing post-processor (alone or inside a Sequence) puts before "$A".</summary>
    private static string? ReadPrependedToken(JsonElement root, string path)
    {
        var processor = HfJson.Optional(root, "post_processor");
        if (processor is { } sequence && HfJson.Optional(sequence, "type")?.GetString() == "Sequence")
        {
            processor = HfJson.Required(sequence, "processors", JsonValueKind.Array, path, "post_processor").EnumerateArray()
                .Where(p => HfJson.Optional(p, "type")?.GetString() == "TemplateProcessing")
                .Select(p => (JsonElement?)p)
                .FirstOrDefault();
        }

        if (processor is not { } template || HfJson.Optional(template, "type")?.GetString() != "TemplateProcessing")
        {
            return null;
        }

        var single = HfJson.Required(template, "single", JsonValueKind.Array, path, "post_processor");
        var specials = single.EnumerateArray().Select(item => HfJson.Optional(item, "SpecialToken")).ToList();
        int sequenceAt = specials.IndexOf(null);

        // Our spec can express exactly one token before the text and none after it.
        if (sequenceAt < 0 || sequenceAt > 1 || specials.Count != sequenceAt + 1)
        {
            throw new ModelFormatException(path, "post_processor.single is not [BOS] $A or $A; other templates are not supported");
        }

        return sequenceAt == 0
            ? null
            : HfJson.Required(specials[0]!.Value, "id", JsonValueKind.String, path, "post_processor.single[0].SpecialToken").GetString();
    }
}
