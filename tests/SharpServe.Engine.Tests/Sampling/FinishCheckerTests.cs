using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class FinishCheckerTests
{
    private const int Eos = 2;

    [Theory]
    [InlineData(5, 1, false, null)]
    [InlineData(Eos, 1, false, FinishReason.Stop)]
    [InlineData(7, 1, false, FinishReason.Stop)] // a stop_token_ids entry
    [InlineData(5, 1, true, FinishReason.Stop)] // a stop string
    [InlineData(5, 4, false, FinishReason.Length)]
    [InlineData(Eos, 4, false, FinishReason.Stop)] // stop wins over length on the last token
    [InlineData(5, 4, true, FinishReason.Stop)]
    public void Reasons_WithoutMinTokens(int token, int outputCount, bool stopString, FinishReason? expected)
    {
        var checker = new FinishChecker(new SamplingParams(maxTokens: 4, stopTokenIds: [7]), [Eos]);
        Assert.Equal(expected, checker.Check(token, outputCount, stopString));
    }

    [Fact]
    public void IgnoreEos_RunsToLength_ButStopIdsStillStop()
    {
        var checker = new FinishChecker(new SamplingParams(maxTokens: 4, stopTokenIds: [7], ignoreEos: true), [Eos]);
        Assert.Null(checker.Check(Eos, 1, false));
        Assert.Equal(FinishReason.Stop, checker.Check(7, 1, false));
        Assert.Equal(FinishReason.Length, checker.Check(Eos, 4, false));
    }

    [Fact]
    public void MinTokens_HoldsOffEveryStop()
    {
        var checker = new FinishChecker(new SamplingParams(maxTokens: 10, minTokens: 3, stopTokenIds: [7]), [Eos]);
        Assert.Null(checker.Check(Eos, 2, false));
        Assert.Null(checker.Check(7, 2, true));
        Assert.Equal(FinishReason.Stop, checker.Check(Eos, 3, false));
        Assert.Null(checker.Check(5, 3, true)); // vLLM checks stop strings only once output exceeds min_tokens
        Assert.Equal(FinishReason.Stop, checker.Check(5, 4, true));
    }
}
