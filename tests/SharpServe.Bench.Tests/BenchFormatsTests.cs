namespace SharpServe.Bench.Tests;

public class BenchFormatsTests
{
    [Fact]
    public void Parse_KeepsTheListsOrder_IgnoringCaseAndSpaces()
    {
        var formats = BenchFormats.Parse("Q6_K, f16");
        Assert.Equal(["q6_k", "f16"], formats.Select(f => f.Name));
    }

    [Fact]
    public void Parse_NamesTheKnownFormats_WhenOneIsUnknown()
    {
        var error = Assert.Throws<ArgumentException>(() => BenchFormats.Parse("q8_0,q3_k"));
        Assert.Contains("q3_k", error.Message, StringComparison.Ordinal);
        Assert.Contains("q8_0,f16,bf16,q4_0,q6_k", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntegerFormats_AreBoundByTheInt8Peak_FloatFormatsByTheF32One()
    {
        Assert.All(BenchFormats.Parse("q8_0,q4_0,q6_k,q4_k_m"), f => Assert.Equal(PeakKind.Int8Dot, f.Peak));
        Assert.All(BenchFormats.Parse("f16,bf16"), f => Assert.Equal(PeakKind.Float32Fma, f.Peak));
    }

    /// <summary>int8 at load and AWQ run on integer dots (Q8_0 kernels; AWQ against Q8_0 activations), like the GGUF integer formats.</summary>
    [Fact]
    public void Int8AndAwq_AreBoundByTheInt8Peak()
    {
        Assert.All(BenchFormats.Parse("int8,awq"), f => Assert.Equal(PeakKind.Int8Dot, f.Peak));
    }

    [Theory]
    [InlineData("int8", "q8_0")]
    [InlineData("AWQ", "q4_0")]
    public void FormatsLlamaCppCannotLoad_NameTheGgufItRunsInstead_InTheFormatColumn(string name, string theirs)
    {
        var format = Assert.Single(BenchFormats.Parse(name));
        Assert.Equal(theirs, format.LlamaCppFormat);
        Assert.Equal($"{name.ToLowerInvariant()} (llama.cpp: {theirs})", format.Label);
    }

    [Fact]
    public void FormatsBothEnginesLoad_AreLabelledByTheirNameAlone()
    {
        Assert.All(BenchFormats.Parse("q8_0,f16,bf16,q4_0,q6_k"), f =>
        {
            Assert.Null(f.LlamaCppFormat);
            Assert.Equal(f.Name, f.Label);
        });
    }

    [Fact]
    public void PeerNote_ExplainsEachSubstitutedPeer_AndIsAbsentWithoutOne()
    {
        Assert.Empty(EngineTable.PeerNote(BenchFormats.Parse("q8_0,bf16")));
        string note = Assert.Single(EngineTable.PeerNote(BenchFormats.Parse("q8_0,int8,awq")));
        Assert.Contains("cannot load int8 or awq", note, StringComparison.Ordinal);
        Assert.Contains("the q8_0 GGUF for int8", note, StringComparison.Ordinal);
        Assert.Contains("the q4_0 GGUF for awq", note, StringComparison.Ordinal);
    }
}
