using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Writes a <see cref="TokenizerSpec"/> as a Hugging Face tokenizer.json in the Qwen2 layout (NFC,
/// Qwen2 Split regex + ByteLevel, ByteLevel decoder, BPE model), with a TemplateProcessing
/// post-processor when the spec prepends BOS (as the DeepSeek-R1 distills' file has).
/// </summary>
internal static class HfTokenizerJsonWriter
{
    // Raw UTF-8 like HF's own files keep the vocabulary readable ("Ġthe", "<｜User｜>").
    public static JsonWriterOptions WriterOptions { get; } = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(TokenizerSpec spec, string path)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");
        WriteAddedTokens(writer, spec);
        writer.WriteStartObject("normalizer");
        writer.WriteString("type", "NFC");
        writer.WriteEndObject();
        WritePreTokenizer(writer);
        WritePostProcessor(writer, spec);
        writer.WritePropertyName("decoder");
        WriteByteLevel(writer);
        WriteModel(writer, spec);
        writer.WriteEndObject();
    }

    private static bool IsAdded(TokenKind kind) => kind is TokenKind.Control or TokenKind.UserDefined;

    private static void WriteAddedTokens(Utf8JsonWriter writer, TokenizerSpec spec)
    {
        writer.WriteStartArray("added_tokens");
        for (int id = 0; id < spec.Tokens.Count; id++)
        {
            if (IsAdded(spec.Kinds[id]))
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", id);
                writer.WriteString("content", spec.Tokens[id]);
                writer.WriteBoolean("single_word", false);
                writer.WriteBoolean("lstrip", false);
                writer.WriteBoolean("rstrip", false);
                writer.WriteBoolean("normalized", false);
                writer.WriteBoolean("special", spec.Kinds[id] == TokenKind.Control);
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
    }

    private static void WritePreTokenizer(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("pre_tokenizer");
        writer.WriteString("type", "Sequence");
        writer.WriteStartArray("pretokenizers");
        writer.WriteStartObject();
        writer.WriteString("type", "Split");
        writer.WriteStartObject("pattern");
        writer.WriteString("Regex", Qwen2PreTokenizer.Pattern);
        writer.WriteEndObject();
        writer.WriteString("behavior", "Isolated");
        writer.WriteBoolean("invert", false);
        writer.WriteEndObject();
        WriteByteLevel(writer);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "ByteLevel");
        writer.WriteBoolean("add_prefix_space", false);
        writer.WriteBoolean("trim_offsets", false);
        writer.WriteBoolean("use_regex", false);
        writer.WriteEndObject();
    }

    // BOS $A for one sequence, BOS $A BOS $B for a pair: the distill's template.
    private static void WritePostProcessor(Utf8JsonWriter writer, TokenizerSpec spec)
    {
        writer.WritePropertyName("post_processor");
        if (!spec.AddBos || spec.BosId is not int bosId)
        {
            WriteByteLevel(writer);
            return;
        }

        string bos = spec.Tokens[bosId];
        writer.WriteStartObject();
        writer.WriteString("type", "TemplateProcessing");
        writer.WriteStartArray("single");
        WriteTemplatePiece(writer, "SpecialToken", bos, 0);
        WriteTemplatePiece(writer, "Sequence", "A", 0);
        writer.WriteEndArray();
        writer.WriteStartArray("pair");
        WriteTemplatePiece(writer, "SpecialToken", bos, 0);
        WriteTemplatePiece(writer, "Sequence", "A", 0);
        WriteTemplatePiece(writer, "SpecialToken", bos, 1);
        WriteTemplatePiece(writer, "Sequence", "B", 1);
        writer.WriteEndArray();
        writer.WriteStartObject("special_tokens");
        writer.WriteStartObject(bos);
        writer.WriteString("id", bos);
        writer.WriteStartArray("ids");
        writer.WriteNumberValue(bosId);
        writer.WriteEndArray();
        writer.WriteStartArray("tokens");
        writer.WriteStringValue(bos);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTemplatePiece(Utf8JsonWriter writer, string kind, string id, int typeId)
    {
        writer.WriteStartObject();
        writer.WriteStartObject(kind);
        writer.WriteString("id", id);
        writer.WriteNumber("type_id", typeId);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter writer, TokenizerSpec spec)
    {
        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteNull("unk_token");
        writer.WriteString("continuing_subword_prefix", "");
        writer.WriteString("end_of_word_suffix", "");
        writer.WriteBoolean("fuse_unk", false);
        writer.WriteBoolean("byte_fallback", false);
        writer.WriteBoolean("ignore_merges", false);
        writer.WriteStartObject("vocab");
        for (int id = 0; id < spec.Tokens.Count; id++)
        {
            if (!IsAdded(spec.Kinds[id]) && spec.Kinds[id] != TokenKind.Unused)
            {
                writer.WriteNumber(spec.Tokens[id], id);
            }
        }

        writer.WriteEndObject();

        // The "left right" string form: every tokenizers version reads it, and byte-level tokens hold no spaces.
        writer.WriteStartArray("merges");
        foreach (string merge in spec.Merges)
        {
            writer.WriteStringValue(merge);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
