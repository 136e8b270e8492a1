using SharpServe.Engine.Tests.TestSupport;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Loading;

public sealed class GgufModelLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, TensorDType.Q8_0)]
    [InlineData(true, TensorDType.Q4_0)]
    [InlineData(true, TensorDType.F16)]
    [InlineData(false, TensorDType.BF16)]
    [InlineData(true, TensorDType.F32)]
    public void LoadsATinyModel(bool tied, TensorDType matrixType)
    {
        var config = TinyQwen2.Config(tied);
        var tokenizer = TinyQwen2.Tokenizer(config.VocabSize);
        var tensors = TinyQwen2.Tensors(config, WeightNames.Gguf, matrixType, TensorDType.F32);
        string path = _dir.File("tiny.gguf");
        TinyQwen2.WriteGguf(path, config, tensors, tokenizer);

        using var checkpoint = ModelLoader.Load(path);
        Assert.Equal(path, checkpoint.Path);
        Assert.Same(WeightNames.Gguf, checkpoint.Names);
        var expectedDtype = matrixType switch { TensorDType.F16 => "float16", TensorDType.BF16 => "bfloat16", _ => "float32" };
        Assert.Equal(config with { TorchDtype = expectedDtype }, checkpoint.Config);

        var read = checkpoint.Tokenizer!;
        Assert.Equal(tokenizer.Tokens, read.Tokens);
        Assert.Equal(tokenizer.Kinds, read.Kinds);
        Assert.Equal(tokenizer.Merges, read.Merges);
        Assert.Equal(tokenizer with { Tokens = read.Tokens, Kinds = read.Kinds, Merges = read.Merges }, read);

        Assert.Equal(tokenizer.BosId, checkpoint.Generation.BosTokenId);
        Assert.Equal([tokenizer.EosId!.Value], checkpoint.Generation.EosTokenIds);
        Assert.Null(checkpoint.Generation.Temperature);

        Assert.Equal(tensors.Select(t => t.Name), checkpoint.Tensors.Keys);
        foreach (var t in tensors)
        {
            Assert.Equal(t.Type, checkpoint.Tensors[t.Name].Type);
            Assert.Equal(t.Shape, checkpoint.Tensors[t.Name].Shape);
            Assert.Equal(t.Bytes, checkpoint.Tensors[t.Name].Data.ToArray());
        }
    }

    [Fact]
    public void WithoutTokenizer()
    {
        var config = TinyQwen2.Config(layers: 1);
        string path = _dir.File("bare.gguf");
        TinyQwen2.WriteGguf(path, config, TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32), tokenizer: null);

        using var checkpoint = GgufModelLoader.Load(path);
        Assert.Null(checkpoint.Tokenizer);
        Assert.Null(checkpoint.Config.EosTokenId);
        Assert.Empty(checkpoint.Generation.EosTokenIds);
    }

    [Fact]
    public void ShortVocabularyIsPaddedToTheEmbeddingRows()
    {
        var config = TinyQwen2.Config(layers: 1);
        string path = _dir.File("short.gguf");
        TinyQwen2.WriteGguf(path, config, TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32), TinyQwen2.Tokenizer(296));

        using var checkpoint = GgufModelLoader.Load(path);
        Assert.Equal(300, checkpoint.Tokenizer!.Tokens.Count);
        Assert.Equal("[PAD296]", checkpoint.Tokenizer.Tokens[296]);
    }

    [Fact]
    public void VocabularyLargerThanTheEmbeddingIsRefused()
    {
        var config = TinyQwen2.Config(layers: 1);
        string path = _dir.File("long.gguf");
        TinyQwen2.WriteGguf(path, config, TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32), TinyQwen2.Tokenizer(301));
        Refused(path, "the tokenizer has 301 tokens but the model's vocabulary has only 300 rows");
    }

    [Fact]
    public void OtherArchitectureIsRefused()
    {
        string path = Write(w =>
        {
            w.AddString("general.architecture", "llama");
            w.AddUInt32("llama.block_count", 1);
        });
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("unsupported architecture 'llama'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingArchitectureIsRefused() =>
        Refused(Write(_ => { }), "metadata key 'general.architecture' is missing");

    [Fact]
    public void MissingHyperParameterIsRefused() =>
        Refused(Write(w => w.AddString("general.architecture", "qwen2")), "metadata key 'qwen2.embedding_length' is missing");

    [Fact]
    public void InconsistentHyperParametersAreRefused() =>
        Refused(Write(w => StandardMetadata(w, TinyQwen2.Config() with { NumAttentionHeads = 3 })), "hidden_size 64 is not a multiple of num_attention_heads 3");

    [Fact]
    public void ZeroCountIsRefused() =>
        Refused(Write(w => StandardMetadata(w, TinyQwen2.Config() with { NumHiddenLayers = 0 })), "qwen2.block_count = 0 must be a positive 32-bit count");

    [Fact]
    public void OtherTokenizerModelIsRefused() =>
        Refused(Write(w =>
        {
            StandardMetadata(w, TinyQwen2.Config());
            w.AddString("tokenizer.ggml.model", "llama");
        }), "tokenizer.ggml.model is 'llama'; only 'gpt2'");

    [Fact]
    public void TokenTypeCountMismatchIsRefused() =>
        Refused(Write(w =>
        {
            StandardMetadata(w, TinyQwen2.Config());
            w.AddString("tokenizer.ggml.model", "gpt2");
            w.AddStringArray("tokenizer.ggml.tokens", ["a", "b"]);
            w.AddInt32Array("tokenizer.ggml.token_type", [1]);
            w.AddStringArray("tokenizer.ggml.merges", []);
        }), "tokenizer.ggml.token_type has 1 entries for 2 tokens");

    [Fact]
    public void UnknownTokenTypeIsRefused() =>
        Refused(Write(w =>
        {
            StandardMetadata(w, TinyQwen2.Config());
            w.AddString("tokenizer.ggml.model", "gpt2");
            w.AddStringArray("tokenizer.ggml.tokens", ["a", "b"]);
            w.AddInt32Array("tokenizer.ggml.token_type", [1, 9]);
            w.AddStringArray("tokenizer.ggml.merges", []);
        }), "tokenizer.ggml.token_type[1] = 9 is not a token type");

    [Fact]
    public void TokenIdOutsideVocabularyIsRefused() =>
        Refused(Write(w =>
        {
            StandardMetadata(w, TinyQwen2.Config());
            w.AddString("tokenizer.ggml.model", "gpt2");
            w.AddStringArray("tokenizer.ggml.tokens", ["a", "b"]);
            w.AddStringArray("tokenizer.ggml.merges", []);
            w.AddUInt32("tokenizer.ggml.eos_token_id", 2);
        }), "tokenizer.ggml.eos_token_id = 2 is outside the 2-token vocabulary");

    [Fact]
    public void MissingMergesAreRefused() =>
        Refused(Write(w =>
        {
            StandardMetadata(w, TinyQwen2.Config());
            w.AddString("tokenizer.ggml.model", "gpt2");
            w.AddStringArray("tokenizer.ggml.tokens", ["a"]);
        }), "metadata key 'tokenizer.ggml.merges' is missing");

    [Fact]
    public void MissingEmbeddingIsRefused()
    {
        string path = _dir.File("noembd.gguf");
        var writer = new GgufWriter();
        GgufQwen2Metadata.Write(writer, TinyQwen2.Config(), null);
        writer.Write(path);
        Refused(path, "tensor token_embd.weight is missing");
    }

    [Fact]
    public void ModelLoaderRefusesALoneSafetensorsFile()
    {
        var writer = new SafetensorsWriter();
        writer.AddTensor("w", TensorDType.F32, [1], s => s.Write(new byte[4]));
        writer.Write(_dir.File("model.safetensors"));
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.File("model.safetensors")));
        Assert.Contains("pass the model directory", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelLoaderRefusesAMissingPath()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.File("nothing-here")));
        Assert.Equal(_dir.File("nothing-here"), e.FilePath);
        Assert.Contains("no such file or directory", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelLoaderRefusesAnUnknownFile()
    {
        File.WriteAllText(_dir.File("notes.txt"), "hi");
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(_dir.File("notes.txt")));
        Assert.Contains("not a GGUF file", e.Problem, StringComparison.Ordinal);
    }

    private static void StandardMetadata(GgufWriter writer, Qwen2Config config) => GgufQwen2Metadata.Write(writer, config, null);

    private string Write(Action<GgufWriter> metadata)
    {
        var config = TinyQwen2.Config(tied: true, layers: 1);
        string path = _dir.File($"{Guid.NewGuid():N}.gguf");
        TinyQwen2.WriteGguf(path, config, TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32), null, metadata);
        return path;
    }

    private static void Refused(string path, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }
}
