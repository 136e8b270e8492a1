namespace SharpServe.Engine.Loading;

/// <summary>How to load a checkpoint beyond its path.</summary>
/// <param name="CacheDirectory">Where quantized copies live; null means <see cref="QuantizedWeightCache.DefaultDirectory"/>.</param>
public sealed record ModelLoadOptions(WeightQuantization Quantization = WeightQuantization.None, string? CacheDirectory = null);
