using SharpServe.Cli.Commands;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Benchmarks;

/// <summary>The validated flags of <c>bench engine</c> (and of the bench project's <c>batched</c> mode).</summary>
/// <param name="Model">The model path as given; null lets the caller pick its default.</param>
/// <param name="Quantization">The --quantization value: null takes the weights as stored, int8 quantizes them at load.</param>
/// <param name="TokenEmbeddingType">The --token-embedding-type value (converted at load); null keeps the embedding as stored.</param>
/// <param name="OutputTensorType">The --output-tensor-type value (converted at load); null keeps lm_head as stored.</param>
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
    string? Quantization = null,
    string? TokenEmbeddingType = null,
    string? OutputTensorType = null,
    string Device = "auto")
{
    /// <summary>True when the weight flags ask for a conversion at load (int8 or head types).</summary>
    public bool ConvertsAtLoad => Quantization is not null || TokenEmbeddingType is not null || OutputTensorType is not null;

    /// <summary>Loads <paramref name="path"/> as the weight flags ask, and refuses a checkpoint that does not hold what --quantization names.</summary>
    public LoadedModel OpenModel(string path, Action<string> log) =>
        WeightFormatCheck.Open(path, Quantization, WeightFormatCheck.LoadOptions(Quantization, TokenEmbeddingType, OutputTensorType), Threads, Device, log);
}
