using SharpServe.Cli.Commands;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Benchmarks;

/// <summary>The validated flags of <c>bench engine</c> (and of the bench project's <c>batched</c> mode).</summary>
/// <param name="Model">The model path as given; null lets the caller pick its default.</param>
/// <param name="Quantization">The --quantization value: null takes the weights as stored, int8 quantizes them at load.</param>
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
    string? OutputJson,
    string? Quantization = null)
{
    /// <summary>Loads <paramref name="path"/> as --quantization asks, and refuses a checkpoint that does not hold what it names.</summary>
    public LoadedModel OpenModel(string path) => WeightFormatCheck.Open(path, Quantization, Threads);
}
