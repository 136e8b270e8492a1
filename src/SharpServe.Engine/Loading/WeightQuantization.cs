namespace SharpServe.Engine.Loading;

/// <summary>What the loader does to the matrices of a float checkpoint before the kernels see them.</summary>
public enum WeightQuantization
{
    /// <summary>Weights are used as stored.</summary>
    None,

    /// <summary>
    /// Weight-only int8: every matrix (the 7 projections per layer, the embedding and lm_head) becomes ggml Q8_0,
    /// quantized once from BF16/F16/F32 and cached on disk. See <see cref="QuantizedWeightCache"/>.
    /// </summary>
    Int8,
}

public static class WeightQuantizationNames
{
    public const string None = "none";
    public const string Int8 = "int8";

    /// <summary>The flag value for <paramref name="name"/> (case-insensitive); null for anything else.</summary>
    public static WeightQuantization? TryParse(string? name) => name?.ToLowerInvariant() switch
    {
        None => WeightQuantization.None,
        Int8 => WeightQuantization.Int8,
        _ => null,
    };
}
