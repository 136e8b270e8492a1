using SharpServe.Engine.Tests.TestSupport;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Tests.Loading;

public sealed class Qwen2WeightBinderTests
{
    [Fact]
    public void BindsAGgufModelInPlace()
    {
        using var dir = new TempDirectory();
        var config = TinyQwen2.Config();
        var tensors = TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.Q8_0, TensorDType.F32);
        TinyQwen2.WriteGguf(dir.File("m.gguf"), config, tensors, TinyQwen2.Tokenizer(config.VocabSize));
        using var checkpoint = ModelLoader.Load(dir.File("m.gguf"));

        var weights = Qwen2WeightBinder.Bind(checkpoint);
        Assert.Equal(2, weights.Layers.Count);
        Assert.Same(checkpoint.Tensors["token_embd.weight"], weights.TokenEmbedding);
        Assert.Same(checkpoint.Tensors["output.weight"], weights.LmHead);
        Assert.Same(checkpoint.Tensors["blk.1.ffn_down.weight"], weights.Layers[1].Down);
        float[] expectedNorm = new float[64];
        Buffer.BlockCopy(tensors.Single(t => t.Name == "blk.1.attn_norm.weight").Bytes, 0, expectedNorm, 0, 256);
        Assert.Equal(expectedNorm, weights.Layers[1].AttnNorm);
        Assert.Equal(32, weights.Layers[0].KBias.Length);
        Assert.Equal(64, weights.FinalNorm.Length);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void TiedModelsUseTheEmbeddingAsLmHead(bool tiedInConfig, bool lmHeadPresent)
    {
        var config = TinyQwen2.Config(tied: tiedInConfig);
        var tensors = Dictionary(TinyQwen2.Tensors(config with { TieWordEmbeddings = !lmHeadPresent }, WeightNames.HuggingFace, TensorDType.BF16, TensorDType.BF16));
        using var checkpoint = Checkpoint(config, tensors);

        var weights = Qwen2WeightBinder.Bind(checkpoint);
        Assert.Same(weights.TokenEmbedding, weights.LmHead);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var config = TinyQwen2.Config();
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.F16, TensorDType.F16));
        tensors.Remove("model.layers.1.mlp.down_proj.weight");
        Refused(config, tensors, "tensor model.layers.1.mlp.down_proj.weight is missing");
    }

    [Fact]
    public void ShapeMismatchNamesExpectedAndActual()
    {
        var config = TinyQwen2.Config();
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32));
        tensors["blk.0.attn_k.weight"] = new WeightTensor("blk.0.attn_k.weight", TensorDType.F16, [64, 64], new byte[64 * 64 * 2]);
        Refused(config, tensors, "tensor blk.0.attn_k.weight has shape [64, 64], expected [32, 64]", WeightNames.Gguf);
    }

    [Fact]
    public void VocabularyMismatchIsRefused()
    {
        var config = TinyQwen2.Config();
        var tensors = Dictionary(TinyQwen2.Tensors(config with { VocabSize = 310 }, WeightNames.HuggingFace, TensorDType.F32, TensorDType.F32));
        Refused(config, tensors, "tensor model.embed_tokens.weight has shape [310, 64], expected [300, 64]");
    }

    [Fact]
    public void Q8RowsMustBeWholeBlocks()
    {
        // hidden 48: every matrix row is 48 or 96 values; 48 is not a whole number of Q8_0 blocks.
        var config = TinyQwen2.Config(hidden: 48, intermediate: 96);
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32));
        tensors["blk.0.attn_q.weight"] = new WeightTensor("blk.0.attn_q.weight", TensorDType.Q8_0, [48, 48], new byte[48 * 48 / 32 * 34]);
        Refused(config, tensors, "tensor blk.0.attn_q.weight is Q8_0 with rows of 48 values, not a multiple of 32", WeightNames.Gguf);
    }

    [Fact]
    public void Q4RowsMustBeWholeBlocks()
    {
        var config = TinyQwen2.Config(hidden: 48, intermediate: 96);
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32));
        tensors["blk.0.attn_q.weight"] = new WeightTensor("blk.0.attn_q.weight", TensorDType.Q4_0, [48, 48], new byte[48 * 48 / 32 * 18]);
        Refused(config, tensors, "tensor blk.0.attn_q.weight is Q4_0 with rows of 48 values, not a multiple of 32", WeightNames.Gguf);
    }

    [Fact]
    public void Q6KRowsMustBeWholeSuperBlocks()
    {
        var config = TinyQwen2.Config(hidden: 48, intermediate: 96);
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.F16, TensorDType.F32));
        tensors["blk.0.attn_q.weight"] = new WeightTensor("blk.0.attn_q.weight", TensorDType.Q6_K, [48, 48], new byte[48 * 48 / 256 * 210]);
        Refused(config, tensors, "tensor blk.0.attn_q.weight is Q6_K with rows of 48 values, not a multiple of 256", WeightNames.Gguf);
    }

    [Fact]
    public void DataOfTheWrongSizeIsRefused()
    {
        var config = TinyQwen2.Config();
        var tensors = Dictionary(TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.F32, TensorDType.F32));
        tensors["model.norm.weight"] = new WeightTensor("model.norm.weight", TensorDType.F32, [64], new byte[100]);
        Refused(config, tensors, "tensor model.norm.weight holds 100 bytes, its F32 shape needs 256");
    }

    private static Dictionary<string, WeightTensor> Dictionary(IEnumerable<TensorData> tensors) =>
        tensors.ToDictionary(t => t.Name, t => new WeightTensor(t.Name, t.Type, t.Shape, t.Bytes));

    private static ModelCheckpoint Checkpoint(Qwen2Config config, Dictionary<string, WeightTensor> tensors, WeightNames? names = null) =>
        new("in-memory", config, tensors, names ?? WeightNames.HuggingFace, null, new GenerationConfig(null, [], null, null), []);

    private static void Refused(Qwen2Config config, Dictionary<string, WeightTensor> tensors, string problem, WeightNames? names = null)
    {
        using var checkpoint = Checkpoint(config, tensors, names);
        var e = Assert.Throws<ModelFormatException>(() => Qwen2WeightBinder.Bind(checkpoint));
        Assert.Equal("in-memory", e.FilePath);
        Assert.Equal(problem, e.Problem);
    }
}
