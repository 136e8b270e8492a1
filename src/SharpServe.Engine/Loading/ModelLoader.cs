namespace SharpServe.Engine.Loading;

/// <summary>Loads a model from whatever the user points at: a Hugging Face directory or a GGUF file.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> and, with <see cref="WeightQuantization.Int8"/> or head types, maps (or first builds)
    /// its cache file.
    /// </summary>
    /// <param name="threads">Threads that quantize, when the cache has to be built.</param>
    /// <exception cref="ArgumentException">Options that contradict each other (see <see cref="ModelLoadOptions.Check"/>).</exception>
    public static ModelCheckpoint Load(string path, ModelLoadOptions options, int threads)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        var checkpoint = Load(path);
        string cacheDirectory = options.CacheDirectory ?? QuantizedWeightCache.DefaultDirectory;
        checkpoint = options.Quantization switch
        {
            WeightQuantization.None => checkpoint,
            WeightQuantization.Int8 => QuantizedWeightCache.Int8(checkpoint, cacheDirectory, threads),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Quantization, null),
        };
        return options.ConvertsHeads
            ? QuantizedWeightCache.HeadTypes(checkpoint, options.TokenEmbeddingType, options.OutputTensorType, cacheDirectory, threads)
            : checkpoint;
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
