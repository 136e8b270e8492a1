namespace SharpServe.Engine.Templates;

/// <summary>
/// A chat template could not be parsed or rendered: unsupported syntax, a type error, or raise_exception().
/// Always names the template line so a bad template fails loudly instead of producing a wrong prompt.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException()
    {
    }

    public TemplateException(string message)
        : base(message)
    {
    }

    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TemplateException(int line, string message)
        : base($"template line {line}: {message}")
    {
        Line = line;
    }

    /// <summary>1-based line of the template source the error refers to (0 when unknown).</summary>
    public int Line { get; }
}
