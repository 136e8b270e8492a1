using System.Text;
using SharpServe.Engine.Reasoning;

namespace SharpServe.Engine.Tests.Reasoning;

public sealed class DeepSeekR1ReasoningStreamTests
{
    public static TheoryData<string> Texts()
    {
        var data = new TheoryData<string>();
        foreach (var (text, _, _) in DeepSeekR1ReasoningCases.Rows)
        {
            data.Add(text);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void EverySingleSplitMatchesTheWholeTextParse(string text)
    {
        for (int at = 0; at <= text.Length; at++)
        {
            AssertStreamsLikeParse(text, [text[..at], text[at..]]);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void RandomMultiSplitsMatchTheWholeTextParse(string text)
    {
        var random = new Random(text.Length * 7919 + 1);
        for (int trial = 0; trial < 300; trial++)
        {
            AssertStreamsLikeParse(text, RandomSplit(random, text));
        }
    }

    [Fact]
    public void EndTagSplitAcrossDeltasIsHeldBackNotLeaked()
    {
        var stream = new DeepSeekR1ReasoningStream();

        Assert.Equal(("why", null), stream.Push("why</thi"));
        Assert.Equal((null, "so"), stream.Push("nk>so"));
        Assert.Equal((null, null), stream.Finish());
    }

    [Fact]
    public void StartTagPrefixIsReleasedAsReasoningWhenItTurnsOutNotToBeTheTag()
    {
        var stream = new DeepSeekR1ReasoningStream();

        Assert.Equal((null, null), stream.Push("<th"));
        Assert.Equal(("<thought", null), stream.Push("ought"));
    }

    [Fact]
    public void PushAfterFinishThrows()
    {
        var stream = new DeepSeekR1ReasoningStream();
        stream.Finish();

        Assert.Throws<InvalidOperationException>(() => stream.Push("x"));
    }

    // Concatenated deltas must equal Parse; a null part (no </think>, or nothing after it) must never see a delta.
    private static void AssertStreamsLikeParse(string text, IEnumerable<string> deltas)
    {
        var stream = new DeepSeekR1ReasoningStream();
        var reasoning = new StringBuilder();
        StringBuilder? content = null;
        var results = deltas.Select(stream.Push).ToList();
        results.Add(stream.Finish());
        foreach (var (reasoningDelta, contentDelta) in results)
        {
            Assert.NotEqual("", reasoningDelta);
            Assert.NotEqual("", contentDelta);
            reasoning.Append(reasoningDelta);
            if (contentDelta is not null)
            {
                (content ??= new StringBuilder()).Append(contentDelta);
            }
        }

        var (expectedReasoning, expectedContent) = DeepSeekR1ReasoningParser.Parse(text);
        Assert.Equal(expectedReasoning, reasoning.ToString());
        Assert.Equal(expectedContent, content?.ToString());
    }

    private static List<string> RandomSplit(Random random, string text)
    {
        var pieces = new List<string>();
        int at = 0;
        while (at < text.Length)
        {
            // Empty deltas happen too (a token that decodes to nothing yet).
            int length = Math.Min(random.Next(0, 5), text.Length - at);
            pieces.Add(text.Substring(at, length));
            at += length;
        }

        return pieces;
    }
}
