namespace SharpServe.Cli.Hub;

/// <summary>The files of a repository the engine reads; the rest (READMEs, other weight formats) is never downloaded.</summary>
public static class ModelFileSelection
{
    private static readonly HashSet<string> Named = new(StringComparer.Ordinal)
    {
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json",
    };

    public static bool IsNeeded(string file) =>
        !file.Contains('/', StringComparison.Ordinal)
        && (Named.Contains(file) || file.EndsWith(".safetensors", StringComparison.Ordinal));
}
