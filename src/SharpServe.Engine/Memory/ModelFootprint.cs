using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Memory;

/// <summary>
/// What one instance of a model needs, independent of the device: the numbers <see cref="MemoryBudget"/>
/// plans from. One place builds them, so the engine, <c>fleet plan</c> and <c>fleet validate</c> agree.
/// </summary>
public sealed record ModelFootprint
{
    public required long WeightBytes { get; init; }
    public required long ActivationBytes { get; init; }
    public required long KvBytesPerToken { get; init; }
    public required KvCacheDType KvCacheDType { get; init; }
    public required int MaxModelLen { get; init; }

    /// <summary>The most token slots the cache can address (see <see cref="MemoryBudgetInputs.MaxKvTokens"/>); null for none.</summary>
    public long? MaxKvTokens { get; init; }

    public static ModelFootprint Of(Qwen2Config config, long weightBytes, int maxModelLen, int maxNumBatchedTokens, KvCacheDType kvCacheDType)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new ModelFootprint
        {
            WeightBytes = weightBytes,
            ActivationBytes = ModelMemory.ActivationBytes(config, maxNumBatchedTokens),
            KvBytesPerToken = ModelMemory.KvBytesPerToken(config, kvCacheDType),
            KvCacheDType = kvCacheDType,
            MaxModelLen = maxModelLen,
            MaxKvTokens = KvLayerCache.MaxSlots(config.KvDim, kvCacheDType),
        };
    }

    /// <summary>The budget inputs of one instance given share <paramref name="utilization"/> of a device of <paramref name="deviceTotalBytes"/>.</summary>
    public MemoryBudgetInputs BudgetInputs(long deviceTotalBytes, double utilization) => new()
    {
        DeviceTotalBytes = deviceTotalBytes,
        MemoryUtilization = utilization,
        WeightBytes = WeightBytes,
        ActivationBytes = ActivationBytes,
        KvBytesPerToken = KvBytesPerToken,
        KvCacheDType = KvCacheDType,
        MaxModelLen = MaxModelLen,
        MaxKvTokens = MaxKvTokens,
    };
}
