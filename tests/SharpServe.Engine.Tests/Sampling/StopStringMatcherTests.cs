using System.Text;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void StopAcrossDeltas_IsHeldBack_ThenCut()
    {
        var matcher = new StopStringMatcher(["</s>"], includeStopString: false);
        Assert.Equal(new StopMatch("Hello", null), matcher.Push("Hello</"));
        Assert.Equal(new StopMatch("</ wor", null), matcher.Push(" wor")); // "</ " can no longer become "</s>"
        Assert.Equal(new StopMatch("ld", "</s>"), matcher.Push("ld</s>tail"));
        Assert.Throws<InvalidOperationException>(() => matcher.Push("more"));
    }

    [Fact]
    public void HeldPrefix_ThatDoesNotComplete_IsReleased()
    {
        var matcher = new StopStringMatcher(["STOP"], includeStopString: false);
        Assert.Equal("a", matcher.Push("aST").Text);
        Assert.Equal("STx", matcher.Push("x").Text);
        Assert.Equal("", matcher.Push("STO").Text);
        Assert.Equal("STO", matcher.Flush());
    }

    [Fact]
    public void IncludeStopString_KeepsItAndDropsTheRest()
    {
        var matcher = new StopStringMatcher(["\n\n"], includeStopString: true);
        Assert.Equal(new StopMatch("one\n\n", "\n\n"), matcher.Push("one\n\ntwo"));
    }

    [Fact]
    public void TheStopThatEndsFirstWins()
    {
        var matcher = new StopStringMatcher(["abcd", "bc"], includeStopString: true);
        Assert.Equal(new StopMatch("abc", "bc"), matcher.Push("abcd"));
    }

    [Fact]
    public void RandomSplits_StreamExactlyTheWholeTextResult()
    {
        var random = new Random(12);
        string[][] stopSets = [["ab"], ["bca", "cc"], ["abcab", "bab", "c"], ["aaa", "aab"]];
        for (int trial = 0; trial < 2_000; trial++)
        {
            string text = new([.. Enumerable.Range(0, random.Next(0, 25)).Select(_ => "abc"[random.Next(3)])]);
            string[] stops = stopSets[random.Next(stopSets.Length)];
            bool include = random.Next(2) == 0;
            var (expectedText, expectedStop) = WholeText(text, stops, include);

            var matcher = new StopStringMatcher(stops, include);
            var streamed = new StringBuilder();
            string? stop = null;
            int at = 0;
            while (at < text.Length && stop is null)
            {
                int length = random.Next(0, 5);
                length = Math.Min(length, text.Length - at);
                var result = matcher.Push(text.Substring(at, length));
                at += length;
                streamed.Append(result.Text);
                stop = result.StopString;
            }

            if (stop is null)
            {
                streamed.Append(matcher.Flush());
            }

            Assert.Equal(expectedStop, stop);
            Assert.Equal(expectedText, streamed.ToString());
        }
    }

    /// <summary>Reference on the whole text: scan end positions left to right, longest stop ending there wins.</summary>
    private static (string Text, string? Stop) WholeText(string text, string[] stops, bool include)
    {
        for (int end = 1; end <= text.Length; end++)
        {
            string? hit = stops.Where(s => text[..end].EndsWith(s, StringComparison.Ordinal)).MaxBy(s => s.Length);
            if (hit is not null)
            {
                return (text[..(include ? end : end - hit.Length)], hit);
            }
        }

        return (text, null);
    }
}
