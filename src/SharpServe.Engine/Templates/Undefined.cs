namespace SharpServe.Engine.Templates;

/// <summary>
/// Jinja's default Undefined: what a missing variable, key or attribute evaluates to. It prints as "",
/// is falsy and iterates as empty, but using it in arithmetic or looking an attribute up on it is an error.
/// </summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();

    private Undefined()
    {
    }

    public override string ToString() => string.Empty;
}
