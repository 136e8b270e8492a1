using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Server.Json;

/// <summary>Fields such as <c>stop</c> that OpenAI accepts as one string or a list of strings.</summary>
public sealed class StringOrListConverter : JsonConverter<IReadOnlyList<string>>
{
    private const string Expected = "expected a string or a list of strings";

    /// <summary>Read by hand: an exception thrown here gets the field's path, which the 400 names as its param.</summary>
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return [reader.GetString()!];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException(Expected);
        }

        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException(Expected));
        }

        return items;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
