using System.Globalization;

namespace SharpServe.Engine.Memory;

/// <summary>The outcome of <see cref="MemoryBudget.Plan"/>: how many KV blocks to allocate, and why.</summary>
public sealed record MemoryPlan
{
    public required long BudgetBytes { get; init; }
    public required double MemoryUtilization { get; init; }
    public required long DeviceTotalBytes { get; init; }
    public required bool KvCacheOverridden { get; init; }
    public required long WeightBytes { get; init; }
    public required long ActivationBytes { get; init; }
    public required int BlockSize { get; init; }
    public required KvCacheDType KvCacheDType { get; init; }
    public required int KvBlocks { get; init; }

    /// <summary>Bytes of the blocks actually allocated (the unused remainder of the budget is less than one block).</summary>
    public required long KvCacheBytes { get; init; }

    /// <summary>Whether the budget held more than the cache can address, so the pool is smaller than the budget.</summary>
    public bool KvCapped { get; init; }

    public long KvTokens => (long)KvBlocks * BlockSize;

    /// <summary>One startup log line, in the spirit of vLLM's "GPU KV cache size" line.</summary>
    public string LogMessage
    {
        get
        {
            string budget = KvCacheOverridden
                ? "KV size set by --kv-cache-memory"
                : string.Create(CultureInfo.InvariantCulture, $"budget {MemoryUtilization:0.###} × total {Gib(DeviceTotalBytes)} = {Gib(BudgetBytes)}");
            string cap = KvCapped ? " (capped: the largest pool the cache can address)" : "";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"KV cache: {KvBlocks} blocks × {BlockSize} tokens = {KvTokens} tokens of {KvCacheDType} K/V ({Gib(KvCacheBytes)}){cap}; weights {Gib(WeightBytes)}, activations {Gib(ActivationBytes)}, {budget}");
        }
    }

    public static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB");
}
