namespace SharpServe.Engine.Loading;

/// <summary>Loads a model from whatever the user points at: a Hugging Face directory or a GGUF file.</summary>
public static class ModelLoader
{
    public static ModelCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return HfModelLoader.Load(path);
        }

        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "no such file or directory");
        }

        if (GgufReader.HasMagic(path))
        {
            return GgufModelLoader.Load(path);
        }

        throw new ModelFormatException(path, path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? "a .safetensors file holds only weights; pass the model directory that contains it and its config.json"
            : "not a GGUF file (no 'GGUF' magic) and not a model directory");
    }
}
