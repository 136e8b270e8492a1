using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Loading;

/// <summary>
/// A loaded checkpoint: hyper-parameters, the tensors by their format's own names (pointing into
/// memory-mapped files), tokenizer and generation defaults. Disposing it unmaps the files.
/// </summary>
public sealed class ModelCheckpoint : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _resources;

    public ModelCheckpoint(
        string path,
        Qwen2Config config,
        IReadOnlyDictionary<string, WeightTensor> tensors,
        WeightNames names,
        TokenizerSpec? tokenizer,
        GenerationConfig generation,
        IReadOnlyList<IDisposable> resources)
    {
        Path = path;
        Config = config;
        Tensors = tensors;
        Names = names;
        Tokenizer = tokenizer;
        Generation = generation;
        _resources = resources;
    }

    public string Path { get; }
    public Qwen2Config Config { get; }
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }
    public WeightNames Names { get; }
    public TokenizerSpec? Tokenizer { get; }
    public GenerationConfig Generation { get; }

    /// <summary>Set when the weights were quantized at load (<c>--quantization int8</c>): the tensors then come from the cache file.</summary>
    public QuantizationReport? Quantization { get; init; }

    /// <summary>Set when the token embedding and/or lm_head were converted at load (<see cref="HeadTensorTypes"/>): those tensors come from the cache file.</summary>
    public HeadTypesReport? HeadTypes { get; init; }

    public void Dispose()
    {
        foreach (var resource in _resources)
        {
            resource.Dispose();
        }
    }
}
