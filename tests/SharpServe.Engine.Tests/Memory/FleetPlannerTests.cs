using SharpServe.Engine.Creation;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Tests.Memory;

public sealed class FleetPlannerTests
{
    private const long GiB = 1L << 30;

    // As in MemoryBudgetTests: r1-distill-1.5b in bf16 is 1,777,088,000 parameters × 2 bytes; 2048 batched
    // tokens of activations are 1,471,152,128 bytes; f32 K/V is 57,344 bytes a token, 917,504 a block.
    private const long R1WeightBytes = 3_554_176_000;

    private static ModelFootprint R1(int maxModelLen = 4096) =>
        ModelFootprint.Of(ModelPresets.R1Distill1_5B, R1WeightBytes, maxModelLen, maxNumBatchedTokens: 2048, KvCacheDType.Float32);

    [Fact]
    public void Footprint_R1Distill_HasTheHandComputedSizes()
    {
        var model = R1();

        Assert.Equal(1_471_152_128, model.ActivationBytes);
        Assert.Equal(57_344, model.KvBytesPerToken);
    }

    [Fact]
    public void Plan_R1Distill_On16GiB_GivesTheHandComputedTable()
    {
        var plan = FleetPlanner.Plan(R1(), 16 * GiB, 0.9, concurrency: 1, maxInstances: 16);

        // Per instance: 1 × 0.9 is MemoryBudgetTests' 11,374 blocks = 44 sequences of 256 blocks (4096 tokens);
        // 2 × 0.45: floor(0.45 × 17,179,869,184) − weights − activations = 2,705,613,004 bytes = 2,948 blocks = 11 sequences;
        // 3 × 0.3 leaves 128,632,627 bytes = 140 blocks, less than one sequence.
        Assert.Equal([1, 2, 3, 4, 5, 6], plan.Rows.Select(row => row.Instances));
        Assert.Equal([0.9, 0.45, 0.3, 0.225, 0.18, 0.15], plan.Rows.Select(row => row.Fraction));
        Assert.Equal(new InstanceCapacity(181_984, 11_374L * 917_504, 44), plan.Rows[0].WeightsPerInstance);
        Assert.Equal(new InstanceCapacity(2_948 * 16, 2_948L * 917_504, 11), plan.Rows[1].WeightsPerInstance);
        Assert.All(plan.Rows.Skip(2), row => Assert.Null(row.WeightsPerInstance));

        // Shared: one copy of the weights off 15,461,882,265 leaves 11,907,706,265 bytes = 0.69310… of the device, split k
        // ways and rounded down to 4 decimals, less the activations: k = 2: 0.3465 → 5,952,824,672 − 1,471,152,128 =
        // 4,481,672,544 bytes = 4,884 blocks = 19 sequences; k = 6: 0.1155 → 559 blocks = 2; k = 7: 0.099 → 250 blocks, none.
        Assert.Equal([0.6931, 0.3465, 0.231, 0.1732, 0.1386, 0.1155], plan.Rows.Select(row => row.SharedFraction));
        Assert.Equal(plan.Rows[0].WeightsPerInstance, plan.Rows[0].WeightsShared);
        Assert.Equal(new InstanceCapacity(4_884 * 16, 4_884L * 917_504, 19), plan.Rows[1].WeightsShared);
        Assert.Equal([44, 19, 10, 6, 3, 2], plan.Rows.Select(row => row.WeightsShared!.Sequences));
        Assert.False(plan.MoreFit);
    }

    [Fact]
    public void Plan_Concurrency_DropsTheCountsThatCannotHoldIt()
    {
        // 2 instances hold 11 (per instance) or 19 (shared) sequences each: fewer than 20.
        var plan = FleetPlanner.Plan(R1(), 16 * GiB, 0.9, concurrency: 20, maxInstances: 16);

        Assert.Equal(44, Assert.Single(plan.Rows).WeightsPerInstance!.Sequences);
    }

    [Fact]
    public void Plan_Tiny_StopsAtMaxInstancesAndSaysMoreFit()
    {
        // Tiny: 512 KV bytes a token (2 layers × kv_dim 32 × 4 × K and V), 610,560 activation bytes a batched token.
        var tiny = ModelFootprint.Of(ModelPresets.Tiny, weightBytes: 39_192_832, maxModelLen: 256, maxNumBatchedTokens: 64, KvCacheDType.Float32);
        var plan = FleetPlanner.Plan(tiny, 2 * GiB, 0.9, concurrency: 1, maxInstances: 4);

        // 1 × 0.9: 1,932,735,283 − 39,192,832 − 39,075,840 = 1,854,466,611 bytes = 226,375 blocks of 8,192 bytes = 14,148 sequences of 16 blocks.
        Assert.Equal(512, tiny.KvBytesPerToken);
        Assert.Equal(39_075_840, tiny.ActivationBytes);
        Assert.Equal(new InstanceCapacity(3_622_000, 226_375L * 8_192, 14_148), plan.Rows[0].WeightsPerInstance);
        Assert.Equal(4, plan.Rows.Count);
        Assert.True(plan.MoreFit);
    }

    [Fact]
    public void Plan_NothingFits_SaysHowMuchOneInstanceNeeds()
    {
        var e = Assert.Throws<MemoryBudgetException>(() => FleetPlanner.Plan(R1(), 4 * GiB, 0.9, concurrency: 1, maxInstances: 16));

        // 3,554,176,000 + 1,471,152,128 + 256 blocks × 917,504 = 5,260,209,152 bytes; / 0.9 = 5,844,676,836 bytes of device.
        Assert.Contains("= 5260209152 bytes (4.90 GiB)", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs a device of at least 5844676836 bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.9, 3, 0.3)]
    [InlineData(0.9, 7, 0.1285)]
    [InlineData(0.8, 2, 0.4)]
    public void FractionEach_RoundsDownSoTheSumStaysUnderTheCeiling(double ceiling, int instances, double expected)
    {
        Assert.Equal(expected, FleetPlanner.FractionEach(ceiling, instances));
        Assert.True((decimal)expected * instances <= (decimal)ceiling);
    }

    [Theory]
    [InlineData(0.9, 2, 0.3465)]     // the R1 table's k = 2
    [InlineData(0.9, 7, 0.099)]
    public void SharedFractionEach_TakesTheWeightsOffTheCeilingOnceAndRoundsDown(double ceiling, int instances, double expected)
    {
        double fraction = FleetPlanner.SharedFractionEach(ceiling, 16 * GiB, R1WeightBytes, instances);

        Assert.Equal(expected, fraction);
        Assert.True(((decimal)fraction * instances * 16 * GiB) + R1WeightBytes <= (decimal)ceiling * 16 * GiB);
    }

    [Fact]
    public void SharedFractionEach_WeightsThatFillTheCeiling_LeaveNothing() =>
        Assert.Equal(0, FleetPlanner.SharedFractionEach(0.2, 16 * GiB, R1WeightBytes, 1)); // 3.31 GiB of weights, a 3.2 GiB ceiling

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Plan_CeilingOutsideZeroToOne_IsRejected(double ceiling) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetPlanner.Plan(R1(), 16 * GiB, ceiling, 1, 16));
}
