using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Tests.Memory;

public sealed class MemoryBudgetTests
{
    private const long GiB = 1L << 30;

    // r1-distill-1.5b in bf16: 1,777,088,000 parameters × 2 bytes
    // (embed + lm_head 2 × 151936 × 1536, 28 layers × 46,797,824, final norm 1536).
    private const long R1WeightBytes = 3_554_176_000;

    // 2048 batched tokens × 718,336 bytes (see ModelMemoryTests).
    private const long R1ActivationBytes = 1_471_152_128;
    private const long F32KvBytesPerToken = 57_344;
    private const long BlockBytes = 16 * F32KvBytesPerToken; // 917,504

    private static MemoryBudgetInputs R1(long total, double utilization, long kvBytesPerToken = F32KvBytesPerToken) => new()
    {
        DeviceTotalBytes = total,
        MemoryUtilization = utilization,
        WeightBytes = R1WeightBytes,
        ActivationBytes = R1ActivationBytes,
        KvBytesPerToken = kvBytesPerToken,
        MaxModelLen = 4096,
    };

    [Fact]
    public void Plan_BeyondTheAddressableCache_IsCappedAndSaysSo()
    {
        var plan = MemoryBudget.Plan(R1(16 * GiB, 0.9) with { MaxKvTokens = 100_000 });

        Assert.Equal(100_000 / 16, plan.KvBlocks);
        Assert.True(plan.KvCapped);
        Assert.Contains("(capped: the largest pool the cache can address)", plan.LogMessage);
        Assert.False(MemoryBudget.Plan(R1(16 * GiB, 0.9) with { MaxKvTokens = 1_000_000 }).KvCapped);
    }

    [Fact]
    public void Plan_R1Distill_On16GiB_GivesTheHandComputedBlocks()
    {
        var plan = MemoryBudget.Plan(R1(16 * GiB, 0.9));

        // budget = floor(0.9 × 17,179,869,184) = 15,461,882,265;
        // KV = 15,461,882,265 − 3,554,176,000 − 1,471,152,128 = 10,436,554,137 → 11,374 blocks of 917,504 bytes.
        Assert.Equal(15_461_882_265, plan.BudgetBytes);
        Assert.Equal(11_374, plan.KvBlocks);
        Assert.Equal(11_374L * 16, plan.KvTokens);
        Assert.Equal(11_374L * BlockBytes, plan.KvCacheBytes);
        Assert.Equal(
            "KV cache: 11374 blocks × 16 tokens = 181984 tokens of Float32 K/V (9.72 GiB); weights 3.31 GiB, activations 1.37 GiB, budget 0.9 × total 16.00 GiB = 14.40 GiB",
            plan.LogMessage);
    }

    [Fact]
    public void Plan_F16Kv_HoldsTwiceTheTokens()
    {
        var plan = MemoryBudget.Plan(R1(16 * GiB, 0.9, F32KvBytesPerToken / 2) with { KvCacheDType = KvCacheDType.Float16 });

        // 10,436,554,137 / 458,752 = 22,749 (the odd half block of the f32 plan now fits).
        Assert.Equal(22_749, plan.KvBlocks);
        Assert.StartsWith("KV cache: 22749 blocks × 16 tokens = 363984 tokens of Float16 K/V (9.72 GiB);", plan.LogMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_KvCacheMemoryOverride_ReplacesTheUtilizationDerivedSize()
    {
        // F = 0.1 alone could not even hold the weights; the override bypasses it.
        var plan = MemoryBudget.Plan(R1(16 * GiB, 0.1) with { KvCacheMemoryBytes = 2 * GiB });

        Assert.Equal(2_340, plan.KvBlocks); // 2,147,483,648 / 917,504 = 2,340.6
        Assert.True(plan.KvCacheOverridden);
        Assert.Contains("--kv-cache-memory", plan.LogMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_WeightsAndActivationsOverBudget_FailsWithTheNumbers()
    {
        var e = Assert.Throws<MemoryBudgetException>(() => MemoryBudget.Plan(R1(8 * GiB, 0.5)));

        // (5,025,328,128 + one 4096-token sequence 234,881,024) / 8,589,934,592 = 0.612 → 0.62.
        Assert.Contains("3554176000", e.Message, StringComparison.Ordinal);
        Assert.Contains("1471152128", e.Message, StringComparison.Ordinal);
        Assert.Contains("4294967296", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs at least 0.62 of utilization", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_PoolSmallerThanOneSequence_FailsWithTheNeededUtilization()
    {
        // budget floor(0.6 × 8 GiB) = 5,153,960,755 leaves 128,632,627 bytes = 140 blocks < 256.
        var e = Assert.Throws<MemoryBudgetException>(() => MemoryBudget.Plan(R1(8 * GiB, 0.6)));

        Assert.Contains("140 blocks", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs 234881024 bytes for one 4096-token sequence", e.Message, StringComparison.Ordinal);
        Assert.Contains("raise --memory-utilization to ≥ 0.62 or lower --max-model-len", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_OverrideSmallerThanOneSequence_FailsNamingTheOverride()
    {
        var e = Assert.Throws<MemoryBudgetException>(
            () => MemoryBudget.Plan(R1(16 * GiB, 0.9) with { KvCacheMemoryBytes = 100_000_000 }));

        Assert.Contains("raise --kv-cache-memory to ≥ 234881024 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SequenceNeedsWholeBlocks()
    {
        // 4097 tokens take 257 blocks; 257 blocks of budget is exactly enough.
        var inputs = R1(16 * GiB, 0.9) with { MaxModelLen = 4097, KvCacheMemoryBytes = 257 * BlockBytes };
        Assert.Equal(257, MemoryBudget.Plan(inputs).KvBlocks);
        Assert.Throws<MemoryBudgetException>(() => MemoryBudget.Plan(inputs with { KvCacheMemoryBytes = (257 * BlockBytes) - 1 }));
    }

    [Fact]
    public void TwoInstancesAtFortyPercent_BothSucceed_InEitherOrder()
    {
        // vLLM #17979: the second instance must not see the first one's memory as "its" usage.
        // The plan reads nothing from the device but its total, so the order cannot matter.
        var first = R1(16 * GiB, 0.4);
        var second = R1(16 * GiB, 0.4);

        var a1 = MemoryBudget.Plan(first);
        var b1 = MemoryBudget.Plan(second);
        var b2 = MemoryBudget.Plan(second);
        var a2 = MemoryBudget.Plan(first);

        Assert.Equal(a1, a2);
        Assert.Equal(b1, b2);
        Assert.Equal(2_012, a1.KvBlocks); // (6,871,947,673 − 5,025,328,128) / 917,504
        Assert.True(a1.BudgetBytes + b1.BudgetBytes <= 16 * GiB);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Plan_UtilizationOutsideZeroToOne_IsRejected(double utilization) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBudget.Plan(R1(16 * GiB, utilization)));
}
