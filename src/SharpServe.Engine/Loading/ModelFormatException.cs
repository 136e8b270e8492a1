namespace SharpServe.Engine.Loading;

/// <summary>
/// A model file or directory is missing, malformed or unsupported. The message always names the
/// file and the problem; loaders throw nothing else for bad input.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public string FilePath { get; }
    public string Problem { get; }
}
