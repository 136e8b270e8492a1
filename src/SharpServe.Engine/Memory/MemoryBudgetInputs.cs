using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Memory;

/// <summary>
/// Everything a <see cref="MemoryBudget"/> plan depends on. It holds no reading of the device's
/// current usage: the plan is a pure function of these numbers, so instances started in any order
/// on one machine get the same plan each.
/// </summary>
public sealed record MemoryBudgetInputs
{
    /// <summary>Total memory of the device (see <see cref="DeviceMemory"/>), not the free memory.</summary>
    public required long DeviceTotalBytes { get; init; }

    /// <summary>Share F in (0, 1] of the device total this instance may use (--memory-utilization).</summary>
    public required double MemoryUtilization { get; init; }

    /// <summary>When set (--kv-cache-memory), the KV cache size, replacing the utilization-derived one.</summary>
    public long? KvCacheMemoryBytes { get; init; }

    public required long WeightBytes { get; init; }
    public required long ActivationBytes { get; init; }
    public required long KvBytesPerToken { get; init; }

    /// <summary>The element type <see cref="KvBytesPerToken"/> was computed for; named in the plan's log line.</summary>
    public KvCacheDType KvCacheDType { get; init; } = KvCacheDType.Float32;
    public required int MaxModelLen { get; init; }

    /// <summary>The most token slots the cache can address (one layer's K array has a size limit); null for none.</summary>
    public long? MaxKvTokens { get; init; }

    public int BlockSize { get; init; } = KvCachePool.DefaultBlockSize;
}
