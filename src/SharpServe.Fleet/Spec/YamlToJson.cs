using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SharpServe.Fleet.Spec;

/// <summary>
/// Turns a YAML fleet spec into the equivalent JSON tree, so YAML goes through the same reader,
/// names and unknown-field reporting as JSON. Plain scalars get YAML 1.2 core-schema types
/// (null, true/false, numbers); quoted scalars stay strings.
/// </summary>
internal static partial class YamlToJson
{
    public static string Convert(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ArgumentException($"the fleet spec is not valid YAML: line {e.Start.Line}, column {e.Start.Column}: {Reason(e)}", e);
        }

        if (stream.Documents.Count == 0)
        {
            throw new ArgumentException("the fleet spec is empty; expected a YAML mapping");
        }

        return (Node(stream.Documents[0].RootNode) ?? throw new ArgumentException("the fleet spec is null; expected a YAML mapping")).ToJsonString();
    }

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode mapping => Mapping(mapping),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Node).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new ArgumentException($"the fleet spec has an unsupported YAML node at line {node.Start.Line}"),
    };

    private static JsonObject Mapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw new ArgumentException($"the fleet spec has a non-text key at line {key.Start.Line}, column {key.Start.Column}");
            }

            result[name] = Node(value);
        }

        return result;
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        string text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(text[0] is 't' or 'T');
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
        {
            return JsonValue.Create(integer);
        }

        return FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }

    /// <summary>YamlDotNet puts the position in front of its message; the position is given separately here.</summary>
    private static string Reason(YamlException e)
    {
        int after = e.Message.IndexOf("): ", StringComparison.Ordinal);
        return after >= 0 ? e.Message[(after + 3)..] : e.Message;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
