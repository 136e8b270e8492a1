namespace SharpServe.Bench.Tests;

/// <summary>The markdown shape: format × phase rows, twelve columns, ratio and a dash where llama.cpp has no peer.</summary>
public class EngineTableTests
{
    private static readonly Achieved Ours = new(TokensPerS: 30, GBps: 45.25, GFlops: 90.5, PercentOfLimit: 75.4);
    private static readonly Achieved Theirs = new(TokensPerS: 20, GBps: 30, GFlops: 60, PercentOfLimit: 50);
    private static readonly PhaseLimit Limit = new(40, "memory");

    [Fact]
    public void Lines_HaveAHeader_ThenOneRowPerFormatAndPhase_AllTwelveColumns()
    {
        var rows = new[] { "q8_0", "awq" }.SelectMany(format => new[] { "decode", "prefill 512", "batched 32" }
            .Select(phase => new EngineTableRow(format, phase, Limit, Ours, format == "awq" ? null : Theirs))).ToList();

        var lines = EngineTable.Lines(rows).ToList();

        Assert.Equal(2 + 6, lines.Count);
        Assert.All(lines, line => Assert.Equal(13, line.Count(c => c == '|')));
        Assert.StartsWith("| q8_0 | decode |", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("| awq | batched 32 |", lines[7], StringComparison.Ordinal);
    }

    [Fact]
    public void Row_ShowsBothEngines_TheirRatio_AndTheLimit()
    {
        string line = EngineTable.Lines([new EngineTableRow("q8_0", "decode", Limit, Ours, Theirs)]).Last();
        Assert.Equal("| q8_0 | decode | 40.00 (memory) | 30.00 | 45.2 | 90.5 | 75 % | 20.00 | 30.0 | 60.0 | 50 % | **1.50×** |", line);
    }

    [Fact]
    public void Row_WithoutALlamaCppPeer_DashesItsCellsAndTheRatio()
    {
        string line = EngineTable.Lines([new EngineTableRow("awq", "prefill 512", Limit, Ours, null)]).Last();
        Assert.EndsWith("| 75 % | — | — | — | — | — |", line, StringComparison.Ordinal);
    }
}
