using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Benchmarks;

/// <summary>The validated flags of <c>bench engine</c> (and of the bench project's <c>batched</c> mode).</summary>
/// <param name="Model">The model path as given; null lets the caller pick its default.</param>
/// <param name="KvCacheMemoryBytes">Null with no <paramref name="MemoryUtilization"/> either: sized for max-num-seqs full-length sequences.</param>
public sealed record BenchmarkSettings(
    string? Model,
    int NumPrompts,
    int InputLen,
    int OutputLen,
    IReadOnlyList<int> Concurrency,
    int Seed,
    int Warmup,
    int MaxNumSeqs,
    int MaxNumBatchedTokens,
    int MaxModelLen,
    double? MemoryUtilization,
    long? KvCacheMemoryBytes,
    KvCacheDType KvCacheDType,
    int Threads,
    string? OutputJson);
