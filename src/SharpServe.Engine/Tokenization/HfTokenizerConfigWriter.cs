using System.Text.Json;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Writes tokenizer_config.json with the DeepSeek-R1 distill family's fields (LlamaTokenizerFast,
/// model_max_length 16384, BOS/EOS/PAD as AddedToken objects), so transformers loads the directory
/// as it loads the real model's.
/// </summary>
internal static class HfTokenizerConfigWriter
{
    private const int DistillModelMaxLength = 16384;

    public static void Write(TokenizerSpec spec, string path)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, HfTokenizerJsonWriter.WriterOptions);
        writer.WriteStartObject();
        writer.WriteBoolean("add_bos_token", spec.AddBos);
        writer.WriteBoolean("add_eos_token", false);
        WriteAddedTokensDecoder(writer, spec);
        WriteTokenReference(writer, "bos_token", spec, spec.BosId);
        writer.WriteBoolean("clean_up_tokenization_spaces", false);
        WriteTokenReference(writer, "eos_token", spec, spec.EosId);
        writer.WriteBoolean("legacy", true);
        writer.WriteNumber("model_max_length", DistillModelMaxLength);
        WriteTokenReference(writer, "pad_token", spec, spec.PadId);
        writer.WriteStartObject("sp_model_kwargs");
        writer.WriteEndObject();
        writer.WriteNull("unk_token");
        writer.WriteString("tokenizer_class", "LlamaTokenizerFast");
        if (spec.ChatTemplate is not null)
        {
            writer.WriteString("chat_template", spec.ChatTemplate);
        }

        writer.WriteEndObject();
    }

    private static void WriteAddedTokensDecoder(Utf8JsonWriter writer, TokenizerSpec spec)
    {
        writer.WriteStartObject("added_tokens_decoder");
        for (int id = 0; id < spec.Tokens.Count; id++)
        {
            if (spec.Kinds[id] is TokenKind.Control or TokenKind.UserDefined)
            {
                writer.WriteStartObject(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                WriteAddedTokenFields(writer, spec.Tokens[id], normalized: false);
                writer.WriteBoolean("special", spec.Kinds[id] == TokenKind.Control);
                writer.WriteEndObject();
            }
        }

        writer.WriteEndObject();
    }

    // transformers saves these as AddedToken objects with normalized true; readers also accept plain strings.
    private static void WriteTokenReference(Utf8JsonWriter writer, string name, TokenizerSpec spec, int? id)
    {
        if (id is not int value)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartObject(name);
        writer.WriteString("__type", "AddedToken");
        WriteAddedTokenFields(writer, spec.Tokens[value], normalized: true);
        writer.WriteEndObject();
    }

    private static void WriteAddedTokenFields(Utf8JsonWriter writer, string content, bool normalized)
    {
        writer.WriteString("content", content);
        writer.WriteBoolean("lstrip", false);
        writer.WriteBoolean("normalized", normalized);
        writer.WriteBoolean("rstrip", false);
        writer.WriteBoolean("single_word", false);
    }
}
