using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Tests.Memory;

public sealed class DeviceFitTests
{
    private static MemoryPlan Plan(bool kvOverridden = false) => new()
    {
        BudgetBytes = 8L << 30,
        MemoryUtilization = 0.5,
        DeviceTotalBytes = 16L << 30,
        KvCacheOverridden = kvOverridden,
        WeightBytes = 3L << 30,
        ActivationBytes = 1L << 30,
        BlockSize = 16,
        KvCacheDType = KvCacheDType.BFloat16,
        KvBlocks = 1000,
        KvCacheBytes = 4L << 30,
    };

    [Fact]
    public void APlanThatFitsTheFreeMemory_Passes() => DeviceFit.Check(Plan(), 8L << 30);

    [Fact]
    public void APlanBeyondTheFreeMemory_IsRefusedWithTheNumbersAndTheRemedy()
    {
        var error = Assert.Throws<MemoryBudgetException>(() => DeviceFit.Check(Plan(), (8L << 30) - 1));

        Assert.StartsWith($"this instance needs {8L << 30} bytes (8.00 GiB) on the device: weights {3L << 30} + activations {1L << 30} + KV cache {4L << 30}", error.Message, StringComparison.Ordinal);
        Assert.Contains("lower --gpu-memory-utilization to at most 0.49 (what is free of the device's 16.00 GiB)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithAnExplicitKvSize_TheRemedyIsThatFlag()
    {
        var error = Assert.Throws<MemoryBudgetException>(() => DeviceFit.Check(Plan(kvOverridden: true), 1L << 30));
        Assert.Contains("lower --kv-cache-memory", error.Message, StringComparison.Ordinal);
    }
}
