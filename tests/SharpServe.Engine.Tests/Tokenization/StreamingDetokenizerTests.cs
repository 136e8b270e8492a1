using System.Text;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

[Collection(DistillTokenizerCollection.Name)]
public sealed class StreamingDetokenizerTests(DistillTokenizerFixture fixture)
{
    private const int ThinkId = 151648;
    private const int EndThinkId = 151649;
    private const int EndOfSentenceId = 151643;

    private Qwen2Tokenizer Tokenizer => fixture.Tokenizer;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomIdSequencesStreamToTheFullDecode(bool skipSpecialTokens)
    {
        var random = new Random(skipSpecialTokens ? 1234 : 4321);
        int[] partial = PartialUtf8Ids();
        for (int sequence = 0; sequence < 2000; sequence++)
        {
            int[] ids = RandomIds(random, partial, random.Next(0, 40));
            var pushed = Stream(ids, skipSpecialTokens);

            Assert.Equal(Tokenizer.Decode(ids, skipSpecialTokens), string.Concat(pushed));
            Assert.All(pushed, AssertWellFormedUtf16);
        }
    }

    [Theory]
    [InlineData("👨‍👩‍👧 family")]
    [InlineData("你好，世界！这是一个测试。")]
    [InlineData("<think>\n混合 text 🙂 and ünïcödé</think>答案是 42。")]
    [InlineData("🏳️‍🌈🧑🏽‍💻")]
    public void EncodedTextStreamsWithoutReplacementCharacters(string text)
    {
        int[] ids = Tokenizer.Encode(text, addSpecialTokens: false);
        var pushed = Stream(ids, skipSpecialTokens: true);

        Assert.Equal(text, string.Concat(pushed));
        Assert.All(pushed, piece => Assert.DoesNotContain('\uFFFD', piece));
        Assert.All(pushed, AssertWellFormedUtf16);
    }

    [Fact]
    public void ZwjEmojiFedByteByByteAppearsOneCharacterAtATime()
    {
        // 👨 ZWJ 👩: each scalar is held back until its last byte arrives.
        byte[] utf8 = Encoding.UTF8.GetBytes("👨\u200D👩");
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens: true);

        string[] pushed = [.. utf8.Select(b => detokenizer.Push(ByteTokenId(b)))];

        Assert.Equal(["", "", "", "👨", "", "", "\u200D", "", "", "", "👩"], pushed);
        Assert.Equal("", detokenizer.Flush());
    }

    [Fact]
    public void SkippedSpecialTokenInsideACharacterDoesNotBreakIt()
    {
        // "中" is E4 B8 AD; a skipped control token contributes no bytes, exactly as in Decode.
        int[] ids = [ByteTokenId(0xE4), ByteTokenId(0xB8), EndOfSentenceId, ByteTokenId(0xAD)];

        Assert.Equal(["", "", "", "中", ""], Stream(ids, skipSpecialTokens: true));
        Assert.Equal(["", "", "\uFFFD<｜end▁of▁sentence｜>", "\uFFFD", ""], Stream(ids, skipSpecialTokens: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ThinkTagsAreNotSpecialAndSurviveSkipping(bool skipSpecialTokens)
    {
        // "Hi" = 13048.
        int[] ids = [ThinkId, 13048, EndThinkId, EndOfSentenceId];
        string eos = skipSpecialTokens ? "" : "<｜end▁of▁sentence｜>";

        Assert.Equal(["<think>", "Hi", "</think>", eos, ""], Stream(ids, skipSpecialTokens));
    }

    [Fact]
    public void BytesThatCanNeverCompleteAreReplacedAtOnce()
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens: true);

        Assert.Equal("\uFFFD", detokenizer.Push(ByteTokenId(0x80)));
        Assert.Equal("\uFFFD", detokenizer.Push(ByteTokenId(0xC0)));
        Assert.Equal("", detokenizer.Push(ByteTokenId(0xE4)));
        Assert.Equal("\uFFFDA", detokenizer.Push(ByteTokenId((byte)'A')));
    }

    [Fact]
    public void FlushReplacesAnIncompleteCharacterLikeDecode()
    {
        int[] ids = [ByteTokenId((byte)'x'), ByteTokenId(0xF0), ByteTokenId(0x9F)];
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens: true);

        Assert.Equal(["x", "", ""], ids.Select(detokenizer.Push));
        Assert.Equal("\uFFFD", detokenizer.Flush());
        Assert.Equal("x\uFFFD", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void IdOutsideTheVocabularyThrows()
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens: true);

        Assert.Throws<ArgumentOutOfRangeException>(() => detokenizer.Push(DistillTokenizerFixture.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => detokenizer.Push(-1));
    }

    private static void AssertWellFormedUtf16(string piece)
    {
        for (int i = 0; i < piece.Length; i++)
        {
            if (char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                i++;
                continue;
            }

            Assert.False(char.IsSurrogate(piece[i]), $"lone surrogate U+{(int)piece[i]:X4} at {i} in a pushed piece");
        }
    }

    // Tokens whose own bytes are not valid UTF-8 (pieces of multi-byte characters, lone bytes):
    // the ones that make a streaming detokenizer hold back or substitute U+FFFD.
    private int[] PartialUtf8Ids() =>
        [.. Enumerable.Range(0, DistillAddedTokens.FirstId).Where(id => Tokenizer.Decode([id], skipSpecialTokens: false).Contains('\uFFFD', StringComparison.Ordinal))];

    // Every Push result, then the Flush result last.
    private List<string> Stream(int[] ids, bool skipSpecialTokens)
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens);
        var pushed = ids.Select(detokenizer.Push).ToList();
        pushed.Add(detokenizer.Flush());
        return pushed;
    }

    // Mostly partial-UTF-8 tokens so characters straddle tokens and break, plus any id (added and padding rows included).
    private static int[] RandomIds(Random random, int[] partial, int length)
    {
        var ids = new int[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = random.Next(10) switch
            {
                < 5 => partial[random.Next(partial.Length)],
                < 7 => random.Next(DistillAddedTokens.FirstId, DistillAddedTokens.FirstId + DistillAddedTokens.InIdOrder.Count),
                _ => random.Next(DistillTokenizerFixture.VocabSize),
            };
        }

        return ids;
    }

    // The vocabulary token that is exactly one byte, in its byte-level spelling.
    private int ByteTokenId(byte value)
    {
        var tokens = Tokenizer.Spec.Tokens;
        string text = ByteLevelAlphabet.ToChar(value).ToString();
        for (int id = 0; id < tokens.Count; id++)
        {
            if (tokens[id] == text)
            {
                return id;
            }
        }

        throw new InvalidOperationException($"no single-byte token for 0x{value:X2}");
    }
}
