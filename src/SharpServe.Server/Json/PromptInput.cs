using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Server.Json;

/// <summary>A completions prompt: text, or token ids (OpenAI's prompt as a string or an array of integers).</summary>
[JsonConverter(typeof(PromptInputConverter))]
public sealed record PromptInput(string? Text, int[]? TokenIds);

/// <summary>
/// Reads the prompt shapes OpenAI allows for one prompt: "text", ["text"], [1, 2, 3] and [[1, 2, 3]].
/// Batches of several prompts are refused: one request is one generation here.
/// </summary>
public sealed class PromptInputConverter : JsonConverter<PromptInput>
{
    public override PromptInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new PromptInput(reader.GetString(), null);
        }

        using var document = JsonDocument.ParseValue(ref reader);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
        {
            throw new JsonException("prompt must be a string, a list of token ids, or a list of one of those");
        }

        JsonElement first = root[0];
        return first.ValueKind switch
        {
            JsonValueKind.Number => new PromptInput(null, TokenIds(root)),
            _ when root.GetArrayLength() > 1 => throw new JsonException("batched prompts are not supported: send one prompt per request"),
            JsonValueKind.String => new PromptInput(first.GetString(), null),
            JsonValueKind.Array => new PromptInput(null, TokenIds(first)),
            _ => throw new JsonException("prompt must be a string, a list of token ids, or a list of one of those"),
        };
    }

    public override void Write(Utf8JsonWriter writer, PromptInput value, JsonSerializerOptions options) =>
        throw new NotSupportedException("prompts are only read");

    private static int[] TokenIds(JsonElement array) =>
        [.. array.EnumerateArray().Select(item => item.TryGetInt32(out int id) ? id : throw new JsonException("token ids must be integers"))];
}
