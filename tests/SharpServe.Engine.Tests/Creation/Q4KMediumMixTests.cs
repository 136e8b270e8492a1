using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Creation;

/// <summary>
/// create-model's Q4_K_M files against llama.cpp's llama_tensor_get_type rules, with the expected layer lists written
/// out by hand from use_more_bits(i, n) = i &lt; n/8 || i ≥ 7n/8 || (i − n/8) % 3 == 2 for n = 28 (r1-distill-1.5b's
/// layer count): n/8 = 3, 7n/8 = 24.
/// </summary>
public sealed class Q4KMediumMixTests
{
    private static readonly int[] MoreBitsLayersOf28 = [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WritesLlamaCppsTypePerTensor_AndFileType15(bool tied)
    {
        using var folder = new TempDirectory();
        var config = ModelPresets.Tiny with { HiddenSize = 256, IntermediateSize = 256, NumHiddenLayers = 28, VocabSize = 512, TieWordEmbeddings = tied };
        string path = folder.File("q4km.gguf");
        RandomModelWriter.Write(new RandomModelSpec(config, ModelFileFormat.Gguf, TensorDType.Q4_K, 3, null, Q4KMedium: true), path);

        using var file = GgufReader.Open(path);
        Assert.Equal(15, file.Metadata.GetInteger("general.file_type"));
        foreach (var (name, tensor) in file.Tensors)
        {
            var expected = tensor.Shape.Length == 1 ? TensorDType.F32 : ExpectedMatrixType(name, tied);
            Assert.True(expected == tensor.Type, $"{name}: {tensor.Type}, expected {expected}");
        }

        Assert.Equal(tied, !file.Tensors.ContainsKey("output.weight"));
    }

    [Fact]
    public void RefusesRowsThatAreNotWholeSuperBlocks()
    {
        using var folder = new TempDirectory();
        string path = folder.File("q4km.gguf");
        var e = Assert.Throws<ArgumentException>(() => RandomModelWriter.Write(
            new RandomModelSpec(ModelPresets.Tiny, ModelFileFormat.Gguf, TensorDType.Q4_K, 3, null, Q4KMedium: true), path));
        Assert.StartsWith("Q4_K stores rows in blocks of 256 values: hidden_size 64", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private static TensorDType ExpectedMatrixType(string name, bool tied)
    {
        if (name == "output.weight" || (tied && name == "token_embd.weight"))
        {
            return TensorDType.Q6_K;
        }

        foreach (int layer in MoreBitsLayersOf28)
        {
            if (name == $"blk.{layer}.attn_v.weight" || name == $"blk.{layer}.ffn_down.weight")
            {
                return TensorDType.Q6_K;
            }
        }

        return TensorDType.Q4_K;
    }
}
