using System.Text;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>Our encoder against Microsoft.ML.Tokenizers on the same vocabulary and merges.</summary>
[Collection(DistillTokenizerCollection.Name)]
public sealed class Qwen2TokenizerOracleTests(DistillTokenizerFixture fixture)
{
    [Fact]
    public void EncodeMatchesOracleOnCorpus()
    {
        var corpus = EncodeCorpus.All(randomCount: 300);
        var mismatches = new List<string>();
        foreach (string text in corpus)
        {
            int[] ours = fixture.Tokenizer.Encode(text, addSpecialTokens: false);
            var expected = fixture.Oracle.EncodeToIds(IndependentNfc.Normalize(text));
            if (!ours.SequenceEqual(expected))
            {
                mismatches.Add($"{Escape(text)}: ours [{string.Join(",", ours)}] oracle [{string.Join(",", expected)}]");
            }
        }

        Assert.True(corpus.Count > 300, "corpus too small");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} differ:\n{string.Join("\n", mismatches.Take(20))}");
    }

    [Theory]
    [InlineData("请用中文介绍一下人工智能的发展历史")]
    [InlineData("写两首关于秋天的五言绝句")]
    [InlineData("Hello world")]
    public void WellKnownPromptsMatchOracle(string text)
    {
        Assert.Equal(fixture.Oracle.EncodeToIds(text), fixture.Tokenizer.Encode(text, addSpecialTokens: false));
    }

    [Fact]
    public void DecodeInvertsEncodeUpToNfc()
    {
        foreach (string text in EncodeCorpus.All(randomCount: 100))
        {
            int[] ids = fixture.Tokenizer.Encode(text, addSpecialTokens: false);
            Assert.Equal(IndependentNfc.Normalize(text), fixture.Tokenizer.Decode(ids, skipSpecialTokens: false));
        }
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text)
        {
            builder.Append(c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return builder.ToString();
    }
}
