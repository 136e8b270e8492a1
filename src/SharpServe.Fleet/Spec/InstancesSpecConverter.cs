using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Fleet.Spec;

/// <summary>Reads "instances": 3 or "instances": [ {...}, ... ]; the issue allows both.</summary>
internal sealed class InstancesSpecConverter : JsonConverter<InstancesSpec>
{
    public override InstancesSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number => new InstancesSpec(reader.GetInt32(), null),
        JsonTokenType.StartArray => new InstancesSpec(null, JsonSerializer.Deserialize<List<InstanceSpec>>(ref reader, options)),
        _ => throw new JsonException("\"instances\" must be a count or a list of instances"),
    };

    public override void Write(Utf8JsonWriter writer, InstancesSpec value, JsonSerializerOptions options) =>
        throw new NotSupportedException("fleet specs are only read");
}
