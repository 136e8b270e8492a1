using System.Globalization;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary><see cref="LlmEngine.Create"/> sizes the KV cache from the memory budget.</summary>
public sealed class EngineMemorySizingTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static readonly SchedulerConfig Config = new(maxNumBatchedTokens: 64, maxNumSeqs: 16, maxModelLen: 512, maxQueue: 64);

    private long FixedBytes => ModelMemory.WeightBytes(fixture.Model.Checkpoint) + ModelMemory.ActivationBytes(fixture.Model.Config, Config.MaxNumBatchedTokens);

    // f32 K and V of one 16-token block over all layers.
    private long BlockBytes => 16L * 2 * fixture.Model.Config.NumHiddenLayers * fixture.Model.Config.KvDim * sizeof(float);

    [Fact]
    public async Task Create_AllocatesTheBlocksLeftAfterWeightsAndActivations()
    {
        // Half of this total is the fixed bytes plus 37.5 blocks: the plan rounds down to 37.
        long total = 2 * (FixedBytes + (37 * BlockBytes) + (BlockBytes / 2));
        var log = new List<string>();

        using var engine = LlmEngine.Create(fixture.Model, Config, new EngineMemoryOptions { MemoryUtilization = 0.5, DeviceTotalBytes = total }, log.Add);

        Assert.Equal(37, engine.KvBlockCount);
        Assert.Contains(log, line => line.StartsWith("KV cache: 37 blocks × 16 tokens", StringComparison.Ordinal));
        var outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(10, seed: 1), new SamplingParams(maxTokens: 3, ignoreEos: true))));
        Assert.Equal(3, TinyModelFixture.Tokens(outputs).Length);
    }

    [Fact]
    public void Create_RefusesAPlanTheDeviceHasNoFreeMemoryFor()
    {
        long total = 2 * (FixedBytes + (37 * BlockBytes));
        var options = new EngineMemoryOptions { MemoryUtilization = 0.5, DeviceTotalBytes = total };

        using (LlmEngine.Create(fixture.Model, Config, options with { DeviceFreeBytes = total / 2 }))
        {
            // Exactly the plan's bytes are free: it starts.
        }

        var error = Assert.Throws<MemoryBudgetException>(() => LlmEngine.Create(fixture.Model, Config, options with { DeviceFreeBytes = (total / 2) - 1 }));
        Assert.Contains("were free when it opened the device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithSharedWeights_CountsTheWeightsZeroInThisInstancesBudget()
    {
        // Half of this total is the activations plus 37.5 blocks: room for the KV cache only when the weights are not in it.
        long activations = ModelMemory.ActivationBytes(fixture.Model.Config, Config.MaxNumBatchedTokens);
        long total = 2 * (activations + (37 * BlockBytes) + (BlockBytes / 2));
        var shared = new EngineMemoryOptions { MemoryUtilization = 0.5, DeviceTotalBytes = total, WeightsShared = true };
        var log = new List<string>();

        using var engine = LlmEngine.Create(fixture.Model, Config, shared, log.Add);

        Assert.Equal(37, engine.KvBlockCount);
        Assert.Contains(log, line => line.Contains("weights 0.00 GiB", StringComparison.Ordinal) && line.Contains("the weights are shared", StringComparison.Ordinal));
        Assert.Throws<MemoryBudgetException>(() => LlmEngine.Create(fixture.Model, Config, shared with { WeightsShared = false }));
    }

    [Fact]
    public async Task Create_OnAHugeDevice_CapsThePoolAtWhatTheCacheCanAddress()
    {
        // The tiny model's K/V is 128 bytes a token per layer: a 1 TiB budget would be billions of tokens.
        var log = new List<string>();

        using var engine = LlmEngine.Create(fixture.Model, Config, new EngineMemoryOptions { DeviceTotalBytes = 1L << 40 }, log.Add);

        Assert.Equal(KvLayerCache.MaxSlots(fixture.Model.Config.KvDim, KvCacheDType.Float32) / 16, engine.KvBlockCount);
        Assert.Contains(log, line => line.Contains("(capped", StringComparison.Ordinal));
        var outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(10, seed: 1), new SamplingParams(maxTokens: 3, ignoreEos: true))));
        Assert.Equal(3, TinyModelFixture.Tokens(outputs).Length);
    }

    [Fact]
    public void Create_WithKvCacheMemory_IgnoresUtilization()
    {
        using var engine = LlmEngine.Create(fixture.Model, Config, new EngineMemoryOptions { KvCacheMemoryBytes = 40 * BlockBytes, DeviceTotalBytes = FixedBytes });

        Assert.Equal(40, engine.KvBlockCount);
    }

    [Fact]
    public void Create_WithAnF16Cache_FitsTwiceTheBlocksOfF32()
    {
        var f32Options = new EngineMemoryOptions { KvCacheMemoryBytes = 40 * BlockBytes, DeviceTotalBytes = FixedBytes };
        var log = new List<string>();
        using var f32 = LlmEngine.Create(fixture.Model, Config, f32Options);
        using var f16 = LlmEngine.Create(fixture.Model, Config, f32Options with { KvCacheDType = KvCacheDType.Float16 }, log.Add);

        Assert.Equal(40, f32.KvBlockCount);
        Assert.Equal(80, f16.KvBlockCount);
        Assert.Contains(log, line => line.Contains("tokens of Float16 K/V", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_WithABf16Cache_FitsTwiceTheBlocksOfF32InTheUtilizationBudget()
    {
        // Half of this total is the fixed bytes plus 37.5 f32 blocks, that is 75 bf16 blocks.
        long total = 2 * (FixedBytes + (37 * BlockBytes) + (BlockBytes / 2));

        using var engine = LlmEngine.Create(fixture.Model, Config, new EngineMemoryOptions { MemoryUtilization = 0.5, DeviceTotalBytes = total, KvCacheDType = KvCacheDType.BFloat16 });

        Assert.Equal(75, engine.KvBlockCount);
    }

    [Fact]
    public void Create_WhenWeightsDoNotFit_ThrowsWithTheNumbers()
    {
        var options = new EngineMemoryOptions { MemoryUtilization = 0.9, DeviceTotalBytes = FixedBytes };

        var error = Assert.Throws<MemoryBudgetException>(() => LlmEngine.Create(fixture.Model, Config, options));

        Assert.Contains(FixedBytes.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains(ModelMemory.WeightBytes(fixture.Model.Checkpoint).ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenOneSequenceDoesNotFit_ThrowsWithTheNumbers()
    {
        // 512 tokens need 32 blocks; give the cache 31.
        var options = new EngineMemoryOptions { KvCacheMemoryBytes = 31 * BlockBytes, DeviceTotalBytes = FixedBytes };

        var error = Assert.Throws<MemoryBudgetException>(() => LlmEngine.Create(fixture.Model, Config, options));

        Assert.Contains((32 * BlockBytes).ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }
}
