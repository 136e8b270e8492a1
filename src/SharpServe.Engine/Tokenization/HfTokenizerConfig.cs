using System.Text.Json;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>The fields of a Hugging Face <c>tokenizer_config.json</c> that a <see cref="TokenizerSpec"/> needs; tokens by content.</summary>
internal sealed record HfTokenizerConfig(string? BosToken, bool AddBosToken, string? EosToken, string? PadToken, string? ChatTemplate)
{
    public static HfTokenizerConfig Empty { get; } = new(null, false, null, null, null);

    /// <exception cref="ModelFormatException">Missing or malformed file.</exception>
    public static HfTokenizerConfig Read(string path)
    {
        using var document = HfJson.Parse(path);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(path, "the top level is not a JSON object");
        }

        return new HfTokenizerConfig(
            HfJson.TokenContent(root, "bos_token", path),
            HfJson.Bool(root, "add_bos_token", fallback: false),
            HfJson.TokenContent(root, "eos_token", path),
            HfJson.TokenContent(root, "pad_token", path),
            ReadChatTemplate(root, path));
    }

    // A single template string, or (newer transformers) a list of named templates of which we want "default".
    private static string? ReadChatTemplate(JsonElement root, string path) => HfJson.Optional(root, "chat_template") switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } template => template.GetString(),
        { ValueKind: JsonValueKind.Array } named => named.EnumerateArray()
            .Where(entry => HfJson.Optional(entry, "name")?.GetString() == "default")
            .Select(entry => HfJson.Required(entry, "template", JsonValueKind.String, path, "chat_template[default]").GetString())
            .FirstOrDefault(),
        _ => throw new ModelFormatException(path, "chat_template is neither a string nor a list of named templates"),
    };
}
