using System.Text.Json;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>Parses tokenizer JSON files, turning every kind of bad input into a <see cref="ModelFormatException"/> naming the file.</summary>
internal static class HfJson
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "file not found");
        }

        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(path, $"cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The property's value, or null when it is absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static JsonElement Required(JsonElement parent, string name, JsonValueKind kind, string path, string where) =>
        Optional(parent, name) is { } value && value.ValueKind == kind
            ? value
            : throw new ModelFormatException(path, $"{where}.{name} is missing or not a JSON {kind.ToString().ToLowerInvariant()}");

    public static string String(JsonElement element, string path, string where) =>
        element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new ModelFormatException(path, $"{where} is not a string");

    public static int Int(JsonElement element, string path, string where) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int value) && value >= 0
            ? value
            : throw new ModelFormatException(path, $"{where} is not a non-negative 32-bit integer");

    public static bool Bool(JsonElement parent, string name, bool fallback) =>
        Optional(parent, name) is { } value && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : fallback;

    /// <summary>A token written as a plain string or as an AddedToken object with "content".</summary>
    public static string? TokenContent(JsonElement parent, string name, string path) =>
        Optional(parent, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Object } token => Required(token, "content", JsonValueKind.String, path, name).GetString(),
            _ => throw new ModelFormatException(path, $"{name} is neither a string nor a token object"),
        };
}
