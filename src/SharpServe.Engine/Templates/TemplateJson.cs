using System.Text.Json;

namespace SharpServe.Engine.Templates;

/// <summary>Turns JSON (chat messages, tool definitions) into the plain .NET values <see cref="ChatTemplateContext"/> takes.</summary>
public static class TemplateJson
{
    /// <summary>A JSON array of objects → a list of dictionaries; anything else is an <see cref="ArgumentException"/>.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, object?>> ObjectList(JsonElement array, string what)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException($"{what} must be a JSON array of objects, got {array.ValueKind}");
        }

        return array.EnumerateArray()
            .Select((e, i) => e.ValueKind == JsonValueKind.Object
                ? (IReadOnlyDictionary<string, object?>)(Dictionary<string, object?>)ToPlain(e)!
                : throw new ArgumentException($"{what}[{i}] must be a JSON object, got {e.ValueKind}"))
            .ToList();
    }

    // Integral numbers become long, others double, as ChatTemplateContext documents.
    private static object? ToPlain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToPlain(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().Select(ToPlain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(), // the cast keeps long: without it the conditional is double
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
