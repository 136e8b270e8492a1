namespace SharpServe.Engine.Templates;

/// <summary>
/// Variable frames. Each for-loop iteration gets a child frame, so "set" inside a loop does not leak out,
/// matching Jinja's scoping rules (the reason templates use namespace()).
/// </summary>
internal sealed class Scope
{
    private readonly Dictionary<string, object?> _variables = [];
    private readonly Scope? _parent;

    public Scope(Scope? parent)
    {
        _parent = parent;
    }

    public void Set(string name, object? value) => _variables[name] = value;

    public object? Get(string name)
    {
        for (Scope? scope = this; scope is not null; scope = scope._parent)
        {
            if (scope._variables.TryGetValue(name, out object? value))
            {
                return value;
            }
        }

        return Undefined.Instance;
    }
}
