namespace SharpServe.Engine.Templates;

/// <summary>The Jinja filters chat templates use; any other filter name is a TemplateException.</summary>
internal static class Filters
{
    public static object? Apply(string name, object? value, CallArguments args) => name switch
    {
        "trim" => AtMost(args, 0, () => Text(value, args).Trim()),
        "length" or "count" => AtMost(args, 0, () => Length(value, args)),
        "tojson" => ToJson(value, args),
        "string" => AtMost(args, 0, () => Values.ToText(value)),
        "lower" => AtMost(args, 0, () => Text(value, args).ToLowerInvariant()),
        "upper" => AtMost(args, 0, () => Text(value, args).ToUpperInvariant()),
        "replace" => AtMost(args, 2, () => Text(value, args).Replace(args.GetString(0, "old"), args.GetString(1, "new"), StringComparison.Ordinal)),
        "join" => AtMost(args, 1, () => string.Join(Values.ToText(args.Get(0, "d", string.Empty)), Values.Iterate(value, args.Line).Select(Values.ToText))),
        "default" or "d" => Default(value, args),
        "first" => AtMost(args, 0, () => Values.Iterate(value, args.Line) is { Count: > 0 } items ? items[0] : Undefined.Instance),
        "last" => AtMost(args, 0, () => Values.Iterate(value, args.Line) is { Count: > 0 } items ? items[^1] : Undefined.Instance),
        "list" => AtMost(args, 0, () => new List<object?>(Values.Iterate(value, args.Line))),
        _ => throw new TemplateException(args.Line, $"unsupported filter '{name}'"),
    };

    private static object? AtMost(CallArguments args, int count, Func<object?> apply)
    {
        args.ExpectAtMost(count);
        return apply();
    }

    private static string Text(object? value, CallArguments args) => value switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => throw args.Error($"expects a string, got {Values.TypeName(value)}"),
    };

    private static long Length(object? value, CallArguments args) => value switch
    {
        string s => s.Length,
        List<object?> list => list.Count,
        Dictionary<string, object?> dict => dict.Count,
        Undefined => 0,
        _ => throw args.Error($"object of type {Values.TypeName(value)} has no length"),
    };

    private static string ToJson(object? value, CallArguments args)
    {
        if (args.Named.Keys.Any(k => k != "indent"))
        {
            throw args.Error("only the indent argument is supported");
        }

        args.ExpectAtMost(1);
        object? indent = args.Get(0, "indent", null);
        return indent switch
        {
            null => PythonJson.Serialize(value, null, args.Line),
            long n => PythonJson.Serialize(value, (int)n, args.Line),
            _ => throw args.Error("indent must be an integer"),
        };
    }

    // default(fallback, boolean=false): replaces undefined, or any falsy value when boolean is true.
    private static object? Default(object? value, CallArguments args)
    {
        args.ExpectAtMost(2);
        bool onFalsy = Values.IsTruthy(args.Get(1, "boolean", false));
        bool replace = value is Undefined || (onFalsy && !Values.IsTruthy(value));
        return replace ? args.Get(0, "default_value", string.Empty) : value;
    }
}
