namespace SharpServe.Bench.Tests;

/// <summary>The engine table's arithmetic, against hand-computed values for round numbers.</summary>
public class RooflineTests
{
    // 1 GB of weights, 0.5 G body params, 0.1 G LM head params, 1000 attention FLOPs per key.
    private static readonly ModelCost Cost = new(WeightBytes: 1_000_000_000, BodyMatmulParams: 500_000_000, HeadMatmulParams: 100_000_000, AttentionFlopsPerKey: 1000);

    [Fact]
    public void Flops_CountBodyPerToken_HeadPerRow_AndOneKeyPerCachedOrEarlierToken()
    {
        // 3 tokens after 10 cached attend to 11, 12 and 13 keys.
        double expected = 2.0 * (2 * 500e6 * 3 + 2 * 100e6 * 1 + 1000 * (11 + 12 + 13));
        Assert.Equal(expected, Cost.Flops(sequences: 2, startContext: 10, tokens: 3, logitRowsPerSequence: 1));
    }

    [Fact]
    public void Decode_IsBandwidthBound_GBpsIsBytesPerTokenTimesRate()
    {
        var phase = PhaseShape.Decode(startContext: 0, tokens: 1);
        var limit = Roofline.Limit(Cost, phase, bandwidthGBps: 40, peakGFlops: 1000);
        Assert.Equal("memory", limit.Bound);
        Assert.Equal(40, limit.TokensPerS, 9); // 40 GB/s ÷ 1 GB a token

        var achieved = Roofline.Achieved(Cost, phase, tokensPerS: 20, limit);
        Assert.Equal(20, achieved.GBps, 9);
        Assert.Equal(20 * (2 * 600e6 + 1000) / 1e9, achieved.GFlops, 9); // one key: the token itself
        Assert.Equal(50, achieved.PercentOfLimit, 9);
    }

    [Fact]
    public void Prefill_IsComputeBound_StreamsWeightsOnce_AndComputesOneHeadRow()
    {
        var phase = PhaseShape.Prefill(512);
        double flops = 2 * 500e6 * 512 + 2 * 100e6 + 1000 * (512.0 * 513 / 2);
        var limit = Roofline.Limit(Cost, phase, bandwidthGBps: 40, peakGFlops: 200);
        Assert.Equal("compute", limit.Bound);
        Assert.Equal(512 / (flops / 200e9), limit.TokensPerS, 6);

        var achieved = Roofline.Achieved(Cost, phase, tokensPerS: 100, limit);
        double seconds = 512 / 100.0;
        Assert.Equal(1 / seconds, achieved.GBps, 9);
        Assert.Equal(flops / seconds / 1e9, achieved.GFlops, 6);
        Assert.Equal(100 * 100 / limit.TokensPerS, achieved.PercentOfLimit, 9);
    }

    [Fact]
    public void Batched_StreamsWeightsOncePerStep_ForAllSequences()
    {
        var phase = PhaseShape.Batched(sequences: 32, startContext: 34, steps: 16);
        Assert.Equal(512, phase.Tokens);
        Assert.Equal("batched 32", phase.Name);

        // Slow arithmetic: compute-bound. 32 sequences × 16 steps, head on every step.
        double flops = 32 * (2 * 500e6 * 16 + 2 * 100e6 * 16 + 1000 * (16.0 * 34 + 16.0 * 17 / 2));
        var limit = Roofline.Limit(Cost, phase, bandwidthGBps: 40, peakGFlops: 100);
        Assert.Equal("compute", limit.Bound);
        Assert.Equal(512 / (flops / 100e9), limit.TokensPerS, 6);

        var achieved = Roofline.Achieved(Cost, phase, tokensPerS: 32, limit); // 16 s for 16 steps: one weight pass a second
        Assert.Equal(1, achieved.GBps, 9);

        // Fast arithmetic: 16 weight passes over 40 GB/s bound it.
        var memoryLimit = Roofline.Limit(Cost, phase, bandwidthGBps: 40, peakGFlops: 1e9);
        Assert.Equal("memory", memoryLimit.Bound);
        Assert.Equal(512 / (16 / 40.0), memoryLimit.TokensPerS, 6);
    }

    [Fact]
    public void MachineLimits_PickThePeakOfTheFormatsArithmetic()
    {
        var machine = new MachineLimits(BandwidthGBps: 40, Float32GFlops: 150, Int8Gops: 400);
        Assert.Equal(150, machine.Peak(PeakKind.Float32Fma));
        Assert.Equal(400, machine.Peak(PeakKind.Int8Dot));
    }
}
