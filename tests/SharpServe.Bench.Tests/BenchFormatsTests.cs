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
}
