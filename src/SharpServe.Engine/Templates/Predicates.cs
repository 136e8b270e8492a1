using System.Collections;

namespace SharpServe.Engine.Templates;

/// <summary>Jinja tests ("x is defined", "x is none", ...); unknown test names are a TemplateException.</summary>
internal static class Predicates
{
    public static bool Test(string name, object? value, int line) => name switch
    {
        "defined" => value is not Undefined,
        "undefined" => value is Undefined,
        "none" => value is null,
        "string" => value is string,
        "number" => Values.IsNumber(value),
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is Dictionary<string, object?>,
        "sequence" => value is string or List<object?> or Dictionary<string, object?>,
        // Jinja's Undefined defines __iter__, so it counts as iterable.
        "iterable" => value is Undefined or IEnumerable,
        _ => throw new TemplateException(line, $"unsupported test '{name}'"),
    };
}
