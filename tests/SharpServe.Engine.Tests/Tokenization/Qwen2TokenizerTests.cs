using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

[Collection(DistillTokenizerCollection.Name)]
public sealed class Qwen2TokenizerTests(DistillTokenizerFixture fixture)
{
    private Qwen2Tokenizer Tokenizer => fixture.Tokenizer;

    public static TheoryData<int, string> AddedTokens()
    {
        var data = new TheoryData<int, string>();
        foreach (var (id, content, _) in DistillAddedTokensTable.Rows)
        {
            data.Add(id, content);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AddedTokens))]
    public void EachAddedTokenIsOneId(int id, string content)
    {
        Assert.Equal([id], Tokenizer.Encode(content, addSpecialTokens: false));
        Assert.Equal(content, Tokenizer.Decode([id], skipSpecialTokens: false));
    }

    [Fact]
    public void AddedTokensAreCutOutOfRunningText()
    {
        int[] ids = Tokenizer.Encode("<｜User｜>Hi<｜Assistant｜><think>\nok</think>", addSpecialTokens: false);

        // "Hi" = 13048, "\n" = 198, "ok" = 562 in the Qwen2.5 vocabulary.
        Assert.Equal([151644, 13048, 151645, 151648, 198, 562, 151649], ids);
    }

    [Fact]
    public void OracleAgreesOnAddedTokenIds()
    {
        Assert.Equal([151644, 13048, 151645, 151648], fixture.Oracle.EncodeToIds("<｜User｜>Hi<｜Assistant｜><think>"));
    }

    [Fact]
    public void LongestAddedTokenWinsAndNearMissesAreText()
    {
        Assert.Equal([151649], Tokenizer.Encode("</think>", addSpecialTokens: false));
        Assert.DoesNotContain(151648, Tokenizer.Encode("<thinking>", addSpecialTokens: false));
        Assert.DoesNotContain(151644, Tokenizer.Encode("<｜User｜", addSpecialTokens: false));
    }

    [Fact]
    public void BosIsPrependedOnlyWithSpecialTokens()
    {
        int[] plain = Tokenizer.Encode("Hello world", addSpecialTokens: false);
        int[] withBos = Tokenizer.Encode("Hello world", addSpecialTokens: true);

        Assert.Equal([9707, 1879], plain);
        Assert.Equal([151646, 9707, 1879], withBos);
        Assert.Equal([151646], Tokenizer.Encode("", addSpecialTokens: true));
        Assert.Empty(Tokenizer.Encode("", addSpecialTokens: false));
    }

    [Fact]
    public void SkipSpecialTokensDropsOnlyControlTokens()
    {
        int[] ids = Tokenizer.Encode("<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n</think>Yo<｜end▁of▁sentence｜>", addSpecialTokens: false);

        Assert.Equal("<｜User｜>Hi<｜Assistant｜><think>\n</think>Yo", Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n</think>Yo<｜end▁of▁sentence｜>", Tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void PaddingRowsDecodeToNothing()
    {
        Assert.Equal("ab", Tokenizer.Decode([64, 151700, 65, 151935], skipSpecialTokens: false));
    }

    [Fact]
    public void IdsOutsideTheVocabularyAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([151936], skipSpecialTokens: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1], skipSpecialTokens: false));
    }

    [Fact]
    public void PartialUtf8DecodesToReplacementCharacter()
    {
        // "中" is three bytes; its first byte alone is one token in the byte-level alphabet.
        int[] ids = Tokenizer.Encode("中", addSpecialTokens: false);
        int firstByte = fixture.Spec.Tokens.ToList().IndexOf("ä");

        Assert.Equal("中", Tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal("\uFFFDa", Tokenizer.Decode([firstByte, 64], skipSpecialTokens: false));
    }

    [Fact]
    public void LoneSurrogatesEncodeAsReplacementCharacter()
    {
        Assert.Equal(Tokenizer.Encode("a\uFFFDb", addSpecialTokens: false), Tokenizer.Encode("a\uD800b", addSpecialTokens: false));
        Assert.Equal(Tokenizer.Encode("\uFFFD", addSpecialTokens: false), Tokenizer.Encode("\uDC00", addSpecialTokens: false));
        Assert.Equal("x\uFFFD", Tokenizer.Decode(Tokenizer.Encode("x\uDBFF", addSpecialTokens: false), skipSpecialTokens: false));
    }

    [Fact]
    public void InputIsNfcNormalizedOutsideAddedTokens()
    {
        Assert.Equal(Tokenizer.Encode("café", addSpecialTokens: false), Tokenizer.Encode("cafe\u0301", addSpecialTokens: false));
    }

    [Fact]
    public void LongRepetitiveInputEncodesQuickly()
    {
        string text = new string(' ', 200_000) + new string('a', 200_000) + string.Concat(Enumerable.Repeat("ab ", 50_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int[] ids = Tokenizer.Encode(text, addSpecialTokens: false);

        Assert.Equal(text, Tokenizer.Decode(ids, skipSpecialTokens: false));
        // A guard against quadratic blow-up on 200k-character words (that would take minutes), not a
        // benchmark: ~3 s alone on 2 cores, so the bound leaves room for a loaded CI machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void UnsupportedPreTokenizerIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new Qwen2Tokenizer(fixture.Spec with { Pre = "llama-bpe" }));
    }

    [Fact]
    public void EncodingIsThreadSafe()
    {
        var texts = EncodeCorpus.HandPicked;
        var expected = texts.Select(t => Tokenizer.Encode(t, addSpecialTokens: true)).ToArray();
        var fresh = new Qwen2Tokenizer(fixture.Spec);
        Parallel.For(0, texts.Count * 4, i => Assert.Equal(expected[i % texts.Count], fresh.Encode(texts[i % texts.Count], addSpecialTokens: true)));
    }
}
