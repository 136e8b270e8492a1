namespace SharpServe.Engine.Loading;

/// <summary>Loads a model from whatever the user points at: a Hugging Face directory or a GGUF file.</summary>
public static class ModelLoader
{
    /// <summary>Loads <paramref name="path"/> and, with <see cref="WeightQuantization.Int8"/>, maps (or first builds) its int8 cache.</summary>
    /// <param name="threads">Threads that quantize, when the cache has to be built.</param>
    public static ModelCheckpoint Load(string path, ModelLoadOptions options, int threads)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoint = Load(path);
        return options.Quantization switch
        {
            WeightQuantization.None => checkpoint,
            WeightQuantization.Int8 => QuantizedWeightCache.Int8(checkpoint, options.CacheDirectory ?? QuantizedWeightCache.DefaultDirectory, threads),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Quantization, null),
        };
    }

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
