namespace SharpServe.Engine.Templates;

/// <summary>Evaluated arguments of a filter, method or function call, with Python-style lookup by position or name.</summary>
internal sealed class CallArguments
{
    private readonly List<object?> _positional;
    private readonly Dictionary<string, object?> _named;

    public CallArguments(List<object?> positional, Dictionary<string, object?> named, string callee, int line)
    {
        _positional = positional;
        _named = named;
        Callee = callee;
        Line = line;
    }

    public string Callee { get; }

    public int Line { get; }

    public IReadOnlyDictionary<string, object?> Named => _named;

    /// <summary>The argument at position, or named name, or fallback when neither was passed.</summary>
    public object? Get(int position, string name, object? fallback) =>
        position < _positional.Count ? _positional[position] : _named.TryGetValue(name, out object? value) ? value : fallback;

    public string GetString(int position, string name)
    {
        object? value = Get(position, name, Undefined.Instance);
        return value as string ?? throw Error($"argument '{name}' must be a string, got {Values.TypeName(value)}");
    }

    /// <summary>Rejects calls with more arguments than the callee takes, so typos do not pass silently.</summary>
    public void ExpectAtMost(int count)
    {
        if (_positional.Count + _named.Count > count)
        {
            throw Error($"takes at most {count} argument(s)");
        }
    }

    public TemplateException Error(string message) => new(Line, $"{Callee}: {message}");
}
