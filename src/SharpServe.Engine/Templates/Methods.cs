namespace SharpServe.Engine.Templates;

/// <summary>The Python str and dict methods chat templates call (x.split(...), d.items(), ...).</summary>
internal static class Methods
{
    public static object? Invoke(object? target, string name, CallArguments args) => target switch
    {
        string s => InvokeString(s, name, args),
        Dictionary<string, object?> d => InvokeDict(d, name, args),
        _ => throw new TemplateException(args.Line, $"unsupported method '{name}' on {Values.TypeName(target)}"),
    };

    private static object? InvokeString(string s, string name, CallArguments args)
    {
        switch (name)
        {
            case "upper":
                args.ExpectAtMost(0);
                return s.ToUpperInvariant();
            case "lower":
                args.ExpectAtMost(0);
                return s.ToLowerInvariant();
            case "strip" or "lstrip" or "rstrip":
                args.ExpectAtMost(1);
                return Strip(s, name, args.Get(0, "chars", null) is string chars ? chars.ToCharArray() : null);
            case "startswith":
                args.ExpectAtMost(1);
                return s.StartsWith(args.GetString(0, "prefix"), StringComparison.Ordinal);
            case "endswith":
                args.ExpectAtMost(1);
                return s.EndsWith(args.GetString(0, "suffix"), StringComparison.Ordinal);
            case "replace":
                args.ExpectAtMost(2);
                return s.Replace(args.GetString(0, "old"), args.GetString(1, "new"), StringComparison.Ordinal);
            case "split":
                args.ExpectAtMost(2);
                return Split(s, args);
            default:
                throw new TemplateException(args.Line, $"unsupported string method '{name}'");
        }
    }

    // Python strip(): with no argument, all whitespace; otherwise the given set of characters.
    private static string Strip(string s, string name, char[]? chars) => (name, chars) switch
    {
        ("strip", null) => s.Trim(),
        ("strip", _) => s.Trim(chars),
        ("lstrip", null) => s.TrimStart(),
        ("lstrip", _) => s.TrimStart(chars),
        (_, null) => s.TrimEnd(),
        _ => s.TrimEnd(chars),
    };

    // Python split(): sep=None splits on whitespace runs and drops empty parts; maxsplit limits the cuts.
    private static List<object?> Split(string s, CallArguments args)
    {
        object? separator = args.Get(0, "sep", null);
        int maxSplit = args.Get(1, "maxsplit", -1L) is long m ? (int)m : throw args.Error("maxsplit must be an integer");
        int count = maxSplit < 0 ? int.MaxValue : maxSplit + 1;
        string[] parts = separator switch
        {
            null => s.Split((char[]?)null, count, StringSplitOptions.RemoveEmptyEntries),
            string { Length: > 0 } sep => s.Split(sep, count, StringSplitOptions.None),
            _ => throw args.Error("separator must be a non-empty string"),
        };
        return parts.Cast<object?>().ToList();
    }

    private static object? InvokeDict(Dictionary<string, object?> d, string name, CallArguments args)
    {
        switch (name)
        {
            case "items":
                args.ExpectAtMost(0);
                return d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();
            case "keys":
                args.ExpectAtMost(0);
                return d.Keys.Cast<object?>().ToList();
            case "values":
                args.ExpectAtMost(0);
                return d.Values.ToList();
            case "get":
                args.ExpectAtMost(2);
                return args.Get(0, "key", null) is string key && d.TryGetValue(key, out object? value) ? value : args.Get(1, "default", null);
            default:
                throw new TemplateException(args.Line, $"unsupported dict method '{name}'");
        }
    }
}
