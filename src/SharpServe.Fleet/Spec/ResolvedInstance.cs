using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Fleet.Spec;

/// <summary>The engine options one instance runs with: the spec's, with that instance's overrides applied.</summary>
/// <param name="MaxModelLen">Null: the model's max positions.</param>
/// <param name="Threads">Null: serve's default, every core.</param>
/// <param name="Quantization">Int8: instances start with --quantization int8.</param>
public sealed record ResolvedEngine(
    int? MaxModelLen, int MaxNumBatchedTokens, int MaxNumSeqs, KvCacheDType KvCacheDType, int MaxQueue, int? Threads = null,
    WeightQuantization Quantization = WeightQuantization.None);

/// <summary>One instance as it would be started: its port, fraction, names, engine options and memory plan.</summary>
public sealed record ResolvedInstance(int Index, int Port, double MemoryFraction, IReadOnlyList<string> ServedModelNames, ResolvedEngine Engine, MemoryPlan? Plan);
