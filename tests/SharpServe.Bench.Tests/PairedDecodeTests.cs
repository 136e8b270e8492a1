namespace SharpServe.Bench.Tests;

/// <summary>Decode judged against the probe taken just before it: per-repeat shares, their median, and the line under the table.</summary>
public class PairedDecodeTests
{
    private static readonly PairedRuns Ours = new(ProbeGBps: [50, 40, 60], DecodeGBps: [40, 36, 30]);

    [Fact]
    public void Shares_DivideEachRepeatByItsOwnProbe()
    {
        Assert.Equal([80.0, 90.0, 50.0], PairedDecode.Shares(Ours));
    }

    [Fact]
    public void Line_TakesTheMedianOfTheShares_NotTheRatioOfTheMedians()
    {
        // Median share 80 %; the median decode (36) over the median probe (50) would be 72 %.
        string line = PairedDecode.Line("q8_0", Ours, new PairedRuns(ProbeGBps: [50, 45, 30], DecodeGBps: [25, 18, 18]));

        Assert.Equal(
            "q8_0 decode against the probe just before it, per repeat: SharpServe 40.0 of 50.0, 36.0 of 40.0, 30.0 of 60.0 GB/s = 80, 90, 50 % (median 80 %); "
            + "llama.cpp 25.0 of 50.0, 18.0 of 45.0, 18.0 of 30.0 GB/s = 50, 40, 60 % (median 50 %)",
            line);
    }

    [Fact]
    public void Line_WithoutAPeer_ShowsOnlySharpServe()
    {
        string line = PairedDecode.Line("awq", new PairedRuns([50, 50], [30, 40]), theirs: null);

        Assert.EndsWith("SharpServe 30.0 of 50.0, 40.0 of 50.0 GB/s = 60, 80 % (median 70 %)", line, StringComparison.Ordinal);
        Assert.DoesNotContain("llama.cpp", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Shares_RefuseRepeatsWithoutAProbe()
    {
        Assert.Throws<ArgumentException>(() => PairedDecode.Shares(new PairedRuns([50, 40, 60], [40, 36])));
        Assert.Throws<ArgumentException>(() => PairedDecode.Shares(new PairedRuns([], [])));
    }

    [Fact]
    public void StreamedGBps_IsTheBytesOfEachForwardPassTimesItsRate()
    {
        var cost = new ModelCost(WeightBytes: 1_500_000_000, BodyMatmulParams: 1, HeadMatmulParams: 1, AttentionFlopsPerKey: 1);

        Assert.Equal(30.0, Roofline.StreamedGBps(cost, PhaseShape.Decode(8, 32), 20), 9);
        // A 512-token prefill streams the weights once for all its tokens.
        Assert.Equal(1.5 * 200 / 512, Roofline.StreamedGBps(cost, PhaseShape.Prefill(512), 200), 9);
    }
}
