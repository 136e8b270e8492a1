using System.Text.Json;

namespace SharpServe.Fleet.Spec;

/// <summary>Reads a fleet spec file; malformed JSON or wrong value types become one <see cref="ArgumentException"/> naming the place.</summary>
public static class FleetSpecReader
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static FleetSpec Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<FleetSpec>(json, Options) ?? throw new ArgumentException("the fleet spec is null; expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the fleet spec is not valid: {e.Message}", e);
        }
    }
}
