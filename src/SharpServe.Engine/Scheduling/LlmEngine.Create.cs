using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Scheduling;

public sealed partial class LlmEngine
{
    /// <summary>
    /// An engine whose KV cache gets the blocks <see cref="MemoryBudget"/> plans for this model and config:
    /// the runner keeps K/V in <see cref="EngineMemoryOptions.KvCacheDType"/> and sizes activations for <see cref="SchedulerConfig.MaxNumBatchedTokens"/>.
    /// </summary>
    /// <exception cref="MemoryBudgetException">The budget cannot hold the model and one max-length sequence; the message has the numbers.</exception>
    public static LlmEngine Create(
        LoadedModel model,
        SchedulerConfig config,
        EngineMemoryOptions memory,
        Action<string>? log = null,
        bool enablePrefixCaching = true,
        IEngineMetricsSink? metrics = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(memory);
        long deviceTotal = memory.DeviceTotalBytes ?? DetectHost(log);
        long weightBytes = memory.WeightsShared ? 0 : ModelMemory.WeightBytes(model.Checkpoint);
        var footprint = ModelFootprint.Of(model.Config, weightBytes, config.MaxModelLen, config.MaxNumBatchedTokens, memory.KvCacheDType);
        MemoryPlan plan = MemoryBudget.Plan(
            footprint.BudgetInputs(deviceTotal, memory.MemoryUtilization) with { KvCacheMemoryBytes = memory.KvCacheMemoryBytes });
        log?.Invoke(plan.LogMessage + (memory.WeightsShared ? " (the weights are shared: their holder's memory, not this budget's)" : ""));
        if (memory.DeviceFreeBytes is { } free)
        {
            DeviceFit.Check(plan, free);
        }

        return new LlmEngine(model, config, plan.KvBlocks, memory.KvCacheDType, enablePrefixCaching, metrics ?? NullEngineMetricsSink.Instance, time);
    }

    /// <summary>The host's total, logging where it came from (RAM or a cgroup limit) since that decides the plan.</summary>
    private static long DetectHost(Action<string>? log)
    {
        DeviceMemoryInfo device = DeviceMemory.DetectHost();
        foreach (string note in device.Notes)
        {
            log?.Invoke(note);
        }

        return device.TotalBytes;
    }
}
