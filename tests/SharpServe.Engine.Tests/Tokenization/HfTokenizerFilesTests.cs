using SharpServe.Engine.Tests.TestSupport;
using System.Text.Json;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

[Collection(DistillTokenizerCollection.Name)]
public sealed class HfTokenizerFilesTests(DistillTokenizerFixture fixture)
{
    [Fact]
    public void WriteThenReadRoundTripsTheDistillSpec()
    {
        using var dir = new TempDirectory();
        HfTokenizerFiles.Write(fixture.Spec, dir.Path);

        var read = HfTokenizerFiles.Read(Path.Combine(dir.Path, "tokenizer.json"), Path.Combine(dir.Path, "tokenizer_config.json"));

        // The files hold ids up to the last real token; padding to vocab_size is the loader's step.
        Assert.Equal(DistillTokenizer.TokenCount, read.Tokens.Count);
        AssertSameSpec(fixture.Spec, read.WithPaddingTo(fixture.Spec.Tokens.Count));
    }

    [Fact]
    public void WrittenFilesHaveTheHuggingFaceLayout()
    {
        using var dir = new TempDirectory();
        HfTokenizerFiles.Write(fixture.Spec, dir.Path);
        using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "tokenizer.json")));
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "tokenizer_config.json")));
        var root = tokenizer.RootElement;

        Assert.Equal("1.0", root.GetProperty("version").GetString());
        Assert.Equal(22, root.GetProperty("added_tokens").GetArrayLength());
        Assert.Equal("NFC", root.GetProperty("normalizer").GetProperty("type").GetString());
        var split = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0];
        Assert.Equal(Qwen2PreTokenizer.Pattern, split.GetProperty("pattern").GetProperty("Regex").GetString());
        Assert.Equal("Isolated", split.GetProperty("behavior").GetString());
        var bos = root.GetProperty("post_processor").GetProperty("special_tokens").GetProperty("<｜begin▁of▁sentence｜>");
        Assert.Equal(151646, bos.GetProperty("ids")[0].GetInt32());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
        Assert.Equal(151643, root.GetProperty("model").GetProperty("vocab").EnumerateObject().Count());

        var c = config.RootElement;
        Assert.True(c.GetProperty("add_bos_token").GetBoolean());
        Assert.False(c.GetProperty("add_eos_token").GetBoolean());
        Assert.Equal("<｜end▁of▁sentence｜>", c.GetProperty("eos_token").GetProperty("content").GetString());
        Assert.Equal("LlamaTokenizerFast", c.GetProperty("tokenizer_class").GetString());
        Assert.Equal(16384, c.GetProperty("model_max_length").GetInt32());
        Assert.Equal(22, c.GetProperty("added_tokens_decoder").EnumerateObject().Count());
        Assert.Equal(fixture.Spec.ChatTemplate, c.GetProperty("chat_template").GetString());
    }

    [Fact]
    public void ReadsTheQwenFileWithArrayMergesAndNoConfig()
    {
        var spec = HfTokenizerFiles.Read(RepoPaths.SharedTokenizerJson, tokenizerConfigPath: null);

        Assert.Equal("qwen2", spec.Pre);
        Assert.Equal(151387, spec.Merges.Count);
        Assert.Equal("Ġ Ġ", spec.Merges[0]);
        Assert.Equal("<|endoftext|>", spec.Tokens[151643]);
        Assert.Equal(TokenKind.Control, spec.Kinds[151643]);
        Assert.Null(spec.BosId);
        Assert.False(spec.AddBos);
        Assert.Null(spec.EosId);
        Assert.Null(spec.ChatTemplate);
    }

    [Fact]
    public void ConfigSuppliesBosWhenThereIsNoTemplateAndStringFormTokens()
    {
        using var dir = new TempDirectory();
        string tokenizer = WriteSmallTokenizer(dir.Path, postProcessor: """{"type": "ByteLevel"}""");
        string config = Path.Combine(dir.Path, "tokenizer_config.json");
        File.WriteAllText(config, """{"bos_token": "<s>", "add_bos_token": true, "eos_token": {"content": "</s>"}, "pad_token": null, "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "y"}]}""");

        var spec = HfTokenizerFiles.Read(tokenizer, config);

        Assert.Equal(["Ġ", "a", "b", "ab", "<s>", "[PAD5]", "</s>"], spec.Tokens);
        Assert.Equal([TokenKind.Normal, TokenKind.Normal, TokenKind.Normal, TokenKind.Normal, TokenKind.Control, TokenKind.Unused, TokenKind.UserDefined], spec.Kinds);
        Assert.Equal(["a b"], spec.Merges);
        Assert.Equal(4, spec.BosId);
        Assert.True(spec.AddBos);
        Assert.Equal(6, spec.EosId);
        Assert.Null(spec.PadId);
        Assert.Equal("y", spec.ChatTemplate);
    }

    [Fact]
    public void WriteReadRoundTripKeepsInnerPaddingAndNonSpecialAddedTokens()
    {
        using var dir = new TempDirectory();
        var spec = new TokenizerSpec(
            ["a", "b", "ab", "[PAD3]", "<x>", "<s>"],
            [TokenKind.Normal, TokenKind.Normal, TokenKind.Normal, TokenKind.Unused, TokenKind.UserDefined, TokenKind.Control],
            ["a b"],
            "qwen2",
            BosId: 5,
            EosId: 4,
            PadId: null,
            AddBos: false,
            ChatTemplate: null);

        HfTokenizerFiles.Write(spec, dir.Path);
        var read = HfTokenizerFiles.Read(Path.Combine(dir.Path, "tokenizer.json"), Path.Combine(dir.Path, "tokenizer_config.json"));

        AssertSameSpec(spec, read);
    }

    [Fact]
    public void MissingFileIsAModelFormatError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.json");
        var error = Assert.Throws<ModelFormatException>(() => HfTokenizerFiles.Read(path, null));
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void MissingConfigIsAModelFormatError()
    {
        using var dir = new TempDirectory();
        string tokenizer = WriteSmallTokenizer(dir.Path, postProcessor: "null");
        string config = Path.Combine(dir.Path, "tokenizer_config.json");

        var error = Assert.Throws<ModelFormatException>(() => HfTokenizerFiles.Read(tokenizer, config));
        Assert.Equal(config, error.FilePath);
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"BPE\", ", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "WordPiece", "vocab": {}}}""", "WordPiece")]
    [InlineData("""{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""", "ByteLevel")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "merges": []}}""", "model.vocab")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}""", "non-negative")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}""", "id 0")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {}, "merges": [3]}}""", "merges[0]")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": [{"id": 1}]}""", "content")]
    [InlineData("""{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {}, "merges": []}, "post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}]}}""", "not supported")]
    public void BadTokenizerJsonIsAModelFormatError(string json, string problem)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<ModelFormatException>(() => HfTokenizerFiles.Read(path, null));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEosTokenIsAModelFormatError()
    {
        using var dir = new TempDirectory();
        string tokenizer = WriteSmallTokenizer(dir.Path, postProcessor: "null");
        string config = Path.Combine(dir.Path, "tokenizer_config.json");
        File.WriteAllText(config, """{"eos_token": "<nope>"}""");

        var error = Assert.Throws<ModelFormatException>(() => HfTokenizerFiles.Read(tokenizer, config));
        Assert.Equal(config, error.FilePath);
        Assert.Contains("<nope>", error.Problem, StringComparison.Ordinal);
    }

    private static string WriteSmallTokenizer(string directory, string postProcessor)
    {
        string path = Path.Combine(directory, "tokenizer.json");
        File.WriteAllText(path, $$"""
            {
              "added_tokens": [
                {"id": 4, "content": "<s>", "special": true},
                {"id": 6, "content": "</s>", "special": false}
              ],
              "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}]},
              "post_processor": {{postProcessor}},
              "model": {"type": "BPE", "vocab": {"Ġ": 0, "a": 1, "b": 2, "ab": 3}, "merges": [["a", "b"]]}
            }
            """);
        return path;
    }

    private static void AssertSameSpec(TokenizerSpec expected, TokenizerSpec actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Kinds, actual.Kinds);
        Assert.Equal(expected.Merges, actual.Merges);
        Assert.Equal(expected.Pre, actual.Pre);
        Assert.Equal(expected.BosId, actual.BosId);
        Assert.Equal(expected.EosId, actual.EosId);
        Assert.Equal(expected.PadId, actual.PadId);
        Assert.Equal(expected.AddBos, actual.AddBos);
        Assert.Equal(expected.ChatTemplate, actual.ChatTemplate);
    }
}
