using SharpServe.Engine.Tests.TestSupport;
using System.Text.Json;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

[Collection(DistillTokenizerCollection.Name)]
public sealed class DistillTokenizerTests(DistillTokenizerFixture fixture)
{
    private TokenizerSpec Spec => fixture.Spec;

    [Fact]
    public void HasTheQwenVocabularyAndMerges()
    {
        Assert.Equal(DistillTokenizerFixture.VocabSize, Spec.Tokens.Count);
        Assert.Equal(Spec.Tokens.Count, Spec.Kinds.Count);
        Assert.Equal(151387, Spec.Merges.Count);
        Assert.Equal(151643, Spec.Kinds.Count(kind => kind == TokenKind.Normal));
        Assert.All(Enumerable.Range(0, 151643), id => Assert.Equal(TokenKind.Normal, Spec.Kinds[id]));
        Assert.Equal("!", Spec.Tokens[0]);
        Assert.Equal("Ġ Ġ", Spec.Merges[0]);
    }

    [Fact]
    public void AddedTokensMatchTheNotesTable()
    {
        foreach (var (id, content, special) in DistillAddedTokensTable.Rows)
        {
            Assert.Equal(content, Spec.Tokens[id]);
            Assert.Equal(special ? TokenKind.Control : TokenKind.UserDefined, Spec.Kinds[id]);
        }

        Assert.Equal(22, DistillAddedTokensTable.Rows.Count);
        Assert.Equal(151665, DistillTokenizer.TokenCount);
    }

    [Fact]
    public void RowsPastTheLastTokenArePadding()
    {
        for (int id = 151665; id < DistillTokenizerFixture.VocabSize; id++)
        {
            Assert.Equal($"[PAD{id}]", Spec.Tokens[id]);
            Assert.Equal(TokenKind.Unused, Spec.Kinds[id]);
        }
    }

    [Fact]
    public void SpecialIdsAndPreTokenizer()
    {
        Assert.Equal("deepseek-r1-qwen", Spec.Pre);
        Assert.Equal(151646, Spec.BosId);
        Assert.Equal(151643, Spec.EosId);
        Assert.Equal(151643, Spec.PadId);
        Assert.True(Spec.AddBos);
    }

    [Fact]
    public void ChatTemplateIsTheNotesJsonStringDecoded()
    {
        string jsonLine = File.ReadLines(RepoPaths.DistillNotes).Single(line => line.StartsWith("\"{% if not add_generation_prompt", StringComparison.Ordinal));
        string expected = JsonSerializer.Deserialize<string>(jsonLine)!;

        Assert.Equal(expected, Spec.ChatTemplate);
        Assert.EndsWith("{{'<｜Assistant｜><think>\\n'}}{% endif %}", Spec.ChatTemplate, StringComparison.Ordinal);
    }

    [Fact]
    public void ExactVocabSizeHasNoPadding()
    {
        var spec = DistillTokenizer.Build(RepoPaths.SharedTokenizerJson, 151665);
        Assert.Equal(151665, spec.Tokens.Count);
        Assert.Equal("<|file_sep|>", spec.Tokens[^1]);
    }

    [Fact]
    public void VocabSizeBelowTheTokenCountIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillTokenizer.Build(RepoPaths.SharedTokenizerJson, 151664));
    }

    [Fact]
    public void AFileThatIsNotTheQwenBpeIsRejected()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "small.json");
        File.WriteAllText(path, """{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");

        var error = Assert.Throws<ModelFormatException>(() => DistillTokenizer.Build(path, 151936));
        Assert.Equal(path, error.FilePath);
    }
}
