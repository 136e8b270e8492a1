using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Fleet.Spec;

/// <summary>The engine options one instance runs with: the spec's, with that instance's overrides applied.</summary>
/// <param name="MaxModelLen">Null: the model's max positions.</param>
/// <param name="Threads">Null: serve's default, every core.</param>
/// <param name="Quantization">Int8: instances start with --quantization int8.</param>
/// <param name="TokenEmbeddingType">Set: instances start with --token-embedding-type.</param>
/// <param name="OutputTensorType">Set: instances start with --output-tensor-type.</param>
public sealed record ResolvedEngine(
    int? MaxModelLen, int MaxNumBatchedTokens, int MaxNumSeqs, KvCacheDType KvCacheDType, int MaxQueue, int? Threads = null,
    WeightQuantization Quantization = WeightQuantization.None, TensorDType? TokenEmbeddingType = null, TensorDType? OutputTensorType = null)
{
    /// <summary>How each instance loads the model (the cache directory is serve's default).</summary>
    public ModelLoadOptions LoadOptions => new(Quantization, TokenEmbeddingType: TokenEmbeddingType, OutputTensorType: OutputTensorType);
}

/// <summary>One instance as it would be started: its port, fraction, names, engine options and memory plan.</summary>
public sealed record ResolvedInstance(int Index, int Port, double MemoryFraction, IReadOnlyList<string> ServedModelNames, ResolvedEngine Engine, MemoryPlan? Plan);
