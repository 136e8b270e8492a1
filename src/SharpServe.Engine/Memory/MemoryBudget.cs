using System.Globalization;

namespace SharpServe.Engine.Memory;

/// <summary>
/// Sizes the KV cache like vLLM's --gpu-memory-utilization: budget = F × device total; the KV
/// cache gets what is left after this instance's weights and activations, in whole blocks.
/// </summary>
public static class MemoryBudget
{
    public static MemoryPlan Plan(MemoryBudgetInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Validate(inputs);

        // Only this instance's own needs are subtracted, never the OS's "used" figure: memory that
        // another instance holds would otherwise make this one fail or shrink (vLLM #17979), and the
        // plan would depend on start order.
        long budget = (long)Math.Floor(inputs.MemoryUtilization * inputs.DeviceTotalBytes);
        long fixedBytes = inputs.WeightBytes + inputs.ActivationBytes;
        long sequenceBytes = OneSequenceBytes(inputs);

        long kvBytes;
        if (inputs.KvCacheMemoryBytes is { } overrideBytes)
        {
            // As in vLLM, an explicit KV size bypasses the utilization arithmetic entirely.
            kvBytes = overrideBytes;
        }
        else
        {
            if (fixedBytes >= budget)
            {
                throw new MemoryBudgetException(Invariant(
                    $"weights ({inputs.WeightBytes} bytes) + activations ({inputs.ActivationBytes} bytes) = {fixedBytes} bytes do not fit the budget {inputs.MemoryUtilization} × {inputs.DeviceTotalBytes} = {budget} bytes; ") + Invariant(
                    $"needs at least {MinimumUtilization(fixedBytes + sequenceBytes, inputs.DeviceTotalBytes)} of utilization to also hold one {inputs.MaxModelLen}-token sequence"));
            }

            kvBytes = budget - fixedBytes;
        }

        long blockBytes = inputs.KvBytesPerToken * inputs.BlockSize;
        long blocks = kvBytes / blockBytes;
        long blocksPerSequence = SequenceBlocks(inputs);
        if (blocks < blocksPerSequence)
        {
            string remedy = inputs.KvCacheOverridden()
                ? Invariant($"raise --kv-cache-memory to ≥ {sequenceBytes} bytes or lower --max-model-len")
                : Invariant($"raise --memory-utilization to ≥ {MinimumUtilization(fixedBytes + sequenceBytes, inputs.DeviceTotalBytes)} or lower --max-model-len");
            throw new MemoryBudgetException(Invariant(
                $"the KV cache has {kvBytes} bytes ({blocks} blocks of {inputs.BlockSize} tokens) but needs {sequenceBytes} bytes for one {inputs.MaxModelLen}-token sequence; {remedy}"));
        }

        // Past the addressable size, a bigger budget cannot become more blocks; the plan says so.
        long addressable = (inputs.MaxKvTokens ?? long.MaxValue) / inputs.BlockSize;
        bool capped = blocks > addressable;
        blocks = Math.Min(Math.Min(blocks, addressable), int.MaxValue);
        return new MemoryPlan
        {
            BudgetBytes = budget,
            MemoryUtilization = inputs.MemoryUtilization,
            DeviceTotalBytes = inputs.DeviceTotalBytes,
            KvCacheOverridden = inputs.KvCacheOverridden(),
            WeightBytes = inputs.WeightBytes,
            ActivationBytes = inputs.ActivationBytes,
            BlockSize = inputs.BlockSize,
            KvCacheDType = inputs.KvCacheDType,
            KvBlocks = (int)blocks,
            KvCacheBytes = blocks * blockBytes,
            KvCapped = capped,
        };
    }

    /// <summary>KV blocks of one max_model_len sequence: the pool hands out whole blocks.</summary>
    public static long SequenceBlocks(MemoryBudgetInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return (inputs.MaxModelLen + (long)inputs.BlockSize - 1) / inputs.BlockSize;
    }

    /// <summary>KV bytes of one max_model_len sequence, in whole blocks as the pool hands them out.</summary>
    public static long OneSequenceBytes(MemoryBudgetInputs inputs) =>
        SequenceBlocks(inputs) * inputs.BlockSize * inputs.KvBytesPerToken;

    private static bool KvCacheOverridden(this MemoryBudgetInputs inputs) => inputs.KvCacheMemoryBytes is not null;

    /// <summary>The smallest F (rounded up to 0.01) whose budget covers <paramref name="bytes"/>; above 1 the device is too small.</summary>
    private static string MinimumUtilization(long bytes, long total)
    {
        double f = Math.Ceiling(bytes * 100.0 / total) / 100;
        return f <= 1
            ? f.ToString("0.00", CultureInfo.InvariantCulture)
            : Invariant($"{f:0.00} (more than the device's {total} bytes: lower --max-model-len or --max-num-batched-tokens)");
    }

    private static void Validate(MemoryBudgetInputs inputs)
    {
        if (!(inputs.MemoryUtilization > 0 && inputs.MemoryUtilization <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(inputs), inputs.MemoryUtilization, "memory utilization must be in (0, 1]");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs.DeviceTotalBytes, nameof(inputs.DeviceTotalBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(inputs.WeightBytes, nameof(inputs.WeightBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(inputs.ActivationBytes, nameof(inputs.ActivationBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs.KvBytesPerToken, nameof(inputs.KvBytesPerToken));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs.MaxModelLen, nameof(inputs.MaxModelLen));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs.BlockSize, nameof(inputs.BlockSize));
        if (inputs.KvCacheMemoryBytes is { } kv)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(kv, nameof(inputs.KvCacheMemoryBytes));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
