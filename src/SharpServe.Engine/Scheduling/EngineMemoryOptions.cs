using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// How <see cref="LlmEngine.Create"/> sizes the KV cache, with vLLM's flags: the share of the device this
/// instance may use (--memory-utilization), or an explicit KV size (--kv-cache-memory) that replaces it.
/// </summary>
public sealed record EngineMemoryOptions
{
    public double MemoryUtilization { get; init; } = 0.9;

    public long? KvCacheMemoryBytes { get; init; }

    /// <summary>Element type of the KV cache (--kv-cache-dtype): a 16-bit type fits twice the tokens in the same bytes.</summary>
    public KvCacheDType KvCacheDType { get; init; } = KvCacheDType.Float32;

    /// <summary>The device total; null detects the host's RAM and cgroup limit.</summary>
    public long? DeviceTotalBytes { get; init; }

    /// <summary>
    /// What the device had free before this instance allocated anything big (a card's cuMemGetInfo): the plan must fit in it
    /// (<see cref="DeviceFit"/>). Null: not checked (the host, whose weights are a shared file mapping).
    /// </summary>
    public long? DeviceFreeBytes { get; init; }

    /// <summary>
    /// The weights are another process's allocation that this instance only maps (a fleet's shared copy on the card), so this
    /// instance's budget holds its activations and KV cache only: the weights count 0 in it.
    /// </summary>
    public bool WeightsShared { get; init; }
}
