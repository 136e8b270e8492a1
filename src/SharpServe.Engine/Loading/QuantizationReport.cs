namespace SharpServe.Engine.Loading;

/// <summary>How a checkpoint's weights were quantized at load: what they came from and whether the disk cache had them.</summary>
/// <param name="SourceType">The float type holding most of the source's matrix bytes (bf16 for the distill).</param>
/// <param name="SourceWeightBytes">Bytes of every source tensor, as stored.</param>
/// <param name="CacheFile">The Q8_0 GGUF the weights are mapped from.</param>
/// <param name="Built">True when this load quantized (no valid cache file); false when it only mapped the cache.</param>
public sealed record QuantizationReport(
    WeightQuantization Quantization, TensorDType SourceType, long SourceWeightBytes, string CacheFile, bool Built);
