using System.Text.Json;
using System.Text.RegularExpressions;

namespace SharpServe.Fleet.Spec;

/// <summary>Reads a fleet spec file; malformed JSON or YAML or wrong value types become one <see cref="ArgumentException"/> naming the place.</summary>
public static partial class FleetSpecReader
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>A .yaml or .yml file is YAML; anything else is JSON.</summary>
    public static FleetSpec Read(string path)
    {
        string text = File.ReadAllText(path);
        return Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" ? ParseYaml(text) : Parse(text);
    }

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

    /// <summary>YAML becomes JSON first; a wrong value type is then named by its path alone, since the JSON's line numbers are not the file's.</summary>
    public static FleetSpec ParseYaml(string yaml)
    {
        string json = YamlToJson.Convert(yaml);
        try
        {
            return JsonSerializer.Deserialize<FleetSpec>(json, Options) ?? throw new ArgumentException("the fleet spec is null; expected a YAML mapping");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"the fleet spec is not valid: {JsonPosition().Replace(e.Message, "")}", e);
        }
    }

    [GeneratedRegex(@" \| LineNumber: \d+ \| BytePositionInLine: \d+\.?")]
    private static partial Regex JsonPosition();
}
