using SharpServe.Engine.Tests.TestSupport;
using System.Text.Json.Nodes;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Loading;

public sealed class HfModelLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, 40_000L)]
    public void LoadsATinyModel(bool tied, long? maxShardBytes)
    {
        var config = TinyQwen2.Config(tied);
        var tensors = TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.BF16, TensorDType.BF16);
        TinyQwen2.WriteHf(_dir.Path, config, tensors, maxShardBytes);
        File.WriteAllText(_dir.File("generation_config.json"), """{"bos_token_id": 298, "eos_token_id": [297, 296], "temperature": 0.6, "top_p": 0.95, "do_sample": true}""");

        using var checkpoint = ModelLoader.Load(_dir.Path);
        Assert.Equal(_dir.Path, checkpoint.Path);
        Assert.Equal(config, checkpoint.Config);
        Assert.Same(WeightNames.HuggingFace, checkpoint.Names);
        Assert.Null(checkpoint.Tokenizer);
        Assert.Equal(298, checkpoint.Generation.BosTokenId);
        Assert.Equal([297, 296], checkpoint.Generation.EosTokenIds);
        Assert.Equal(0.6f, checkpoint.Generation.Temperature);
        Assert.Equal(0.95f, checkpoint.Generation.TopP);
        Assert.Equal(tensors.Count, checkpoint.Tensors.Count);
        Assert.Equal(tied, !checkpoint.Tensors.ContainsKey("lm_head.weight"));
        foreach (var t in tensors)
        {
            var read = checkpoint.Tensors[t.Name];
            Assert.Equal(t.Shape, read.Shape);
            Assert.Equal(TensorDType.BF16, read.Type);
            Assert.Equal(t.Bytes, read.Data.ToArray());
        }

        if (maxShardBytes is not null)
        {
            Assert.True(File.Exists(_dir.File("model.safetensors.index.json")));
            Assert.False(File.Exists(_dir.File("model.safetensors")));
        }
    }

    [Fact]
    public void TokenizerIsReadAndPaddedToTheVocabulary()
    {
        WriteTinyModel();
        var spec = TinyQwen2.Tokenizer(290);
        HfTokenizerFiles.Write(spec, _dir.Path);

        using var checkpoint = ModelLoader.Load(_dir.Path);
        var tokenizer = checkpoint.Tokenizer!;
        Assert.Equal(300, tokenizer.Tokens.Count);
        Assert.Equal(spec.Tokens, tokenizer.Tokens.Take(290));
        Assert.Equal("[PAD299]", tokenizer.Tokens[299]);
        Assert.Equal(TokenKind.Unused, tokenizer.Kinds[299]);
        Assert.Equal(spec.EosId, tokenizer.EosId);
    }

    [Fact]
    public void TokenizerLargerThanTheVocabularyIsRefused()
    {
        WriteTinyModel();
        HfTokenizerFiles.Write(TinyQwen2.Tokenizer(310), _dir.Path);

        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.File("tokenizer.json"), e.FilePath);
        Assert.Contains("the tokenizer has 310 tokens but the model's vocabulary has only 300 rows", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutGenerationConfigTheIdsComeFromConfig()
    {
        var config = TinyQwen2.Config();
        TinyQwen2.WriteHf(_dir.Path, config, TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.F32, TensorDType.F32));

        using var checkpoint = HfModelLoader.Load(_dir.Path);
        Assert.Equal(298, checkpoint.Generation.BosTokenId);
        Assert.Equal([297], checkpoint.Generation.EosTokenIds);
        Assert.Null(checkpoint.Generation.Temperature);
        Assert.Null(checkpoint.Generation.TopP);
    }

    [Fact]
    public void SingleEosIdInGenerationConfig()
    {
        WriteTinyModel();
        File.WriteAllText(_dir.File("generation_config.json"), """{"eos_token_id": 5}""");
        using var checkpoint = HfModelLoader.Load(_dir.Path);
        Assert.Equal([5], checkpoint.Generation.EosTokenIds);
        Assert.Null(checkpoint.Generation.BosTokenId);
        Assert.Null(checkpoint.Generation.Temperature);
    }

    [Fact]
    public void OtherArchitectureIsRefused()
    {
        WriteTinyModel();
        EditConfig(c => c["architectures"] = new JsonArray("LlamaForCausalLM"));
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.File("config.json"), e.FilePath);
        Assert.Contains("unsupported architecture 'LlamaForCausalLM'", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"architectures": [1]}""", "wrong type")]
    [InlineData("""{"architectures": ["Qwen2ForCausalLM"], "hidden_size": "big"}""", "wrong type")]
    [InlineData("""{"architectures": ["Qwen2ForCausalLM"]""", "invalid JSON")]
    public void BadConfigIsRefused(string json, string problem)
    {
        WriteTinyModel();
        File.WriteAllText(_dir.File("config.json"), json);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.File("config.json"), e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConfigIsRefused()
    {
        WriteTinyModel();
        File.Delete(_dir.File("config.json"));
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.File("config.json"), e.FilePath);
        Assert.Contains("missing", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingWeightsAreRefused()
    {
        WriteTinyModel();
        File.Delete(_dir.File("model.safetensors"));
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.Path, e.FilePath);
        Assert.Contains("no weights", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"eos_token_id": "x"}""", "eos_token_id must be")]
    [InlineData("""{"eos_token_id": [1, null]}""", "eos_token_id lists a null id")]
    [InlineData("""{"bos_token_id": -1}""", "bos_token_id must be")]
    [InlineData("""{"temperature": "hot"}""", "temperature must be a number")]
    [InlineData("""[1]""", "the JSON root is not an object")]
    public void BadGenerationConfigIsRefused(string json, string problem)
    {
        WriteTinyModel();
        File.WriteAllText(_dir.File("generation_config.json"), json);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.Path));
        Assert.Equal(_dir.File("generation_config.json"), e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    private void WriteTinyModel()
    {
        var config = TinyQwen2.Config(tied: true, layers: 1);
        TinyQwen2.WriteHf(_dir.Path, config, TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.F16, TensorDType.F16));
    }

    private void EditConfig(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(_dir.File("config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(_dir.File("config.json"), config.ToJsonString());
    }
}
