using System.Runtime.InteropServices;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Cuda.Tests.Sharing;

/// <summary>The arena layout of hand-made weights with odd sizes, so every entry needs padding to the next 256-byte offset.</summary>
public sealed class WeightArenaLayoutTests
{
    private static readonly string[] LayerNames = ["attn_norm", "q", "q_bias", "k", "k_bias", "v", "v_bias", "o", "ffn_norm", "gate", "up", "down"];

    [Fact]
    public void Layout_NamesEveryWeightInBindingOrder()
    {
        var layout = WeightArenaLayout.Of(Weights(layers: 2, tied: false));

        string[] expected =
        [
            "token_embedding", .. LayerNames.Select(n => "layers.0." + n), .. LayerNames.Select(n => "layers.1." + n), "final_norm", "lm_head",
        ];
        Assert.Equal(expected, layout.Entries.Select(e => e.Name));
        Assert.Equal(("Q8_0", WeightArenaKind.Matrix), (layout.Entries[0].DType, layout.Entries[0].Kind));
        Assert.Equal(("F32", WeightArenaKind.Vector), (layout.Entries[1].DType, layout.Entries[1].Kind));
        Assert.Equal(("BF16", WeightArenaKind.Matrix), (layout.Entries[2].DType, layout.Entries[2].Kind));
    }

    [Fact]
    public void Layout_EntriesAreAlignedInOrderWithoutOverlapAndHoldTheHostBytes()
    {
        var weights = Weights(layers: 3, tied: false);
        var layout = WeightArenaLayout.Of(weights);

        long end = 0;
        foreach (var entry in layout.Entries)
        {
            Assert.Equal(0, entry.Offset % WeightArenaLayout.Alignment);
            Assert.True(entry.Offset >= end, $"{entry.Name} at {entry.Offset} overlaps the previous entry ending at {end}");
            Assert.True(entry.Offset - end < WeightArenaLayout.Alignment, $"{entry.Name} leaves more than the alignment's padding");
            Assert.Equal(entry.Bytes, layout.HostBytes(entry).Length);
            end = entry.Offset + entry.Bytes;
        }

        Assert.Equal((end + 255) / 256 * 256, layout.TotalBytes);
    }

    [Fact]
    public void Layout_CoversEveryWeightTheModelBindsWithItsOwnBytes()
    {
        var weights = Weights(layers: 2, tied: false);
        var layout = WeightArenaLayout.Of(weights);

        var matrices = new List<WeightTensor> { weights.TokenEmbedding, weights.LmHead };
        var vectors = new List<float[]> { weights.FinalNorm };
        foreach (var layer in weights.Layers)
        {
            matrices.AddRange([layer.Q, layer.K, layer.V, layer.O, layer.Gate, layer.Up, layer.Down]);
            vectors.AddRange([layer.AttnNorm, layer.QBias, layer.KBias, layer.VBias, layer.FfnNorm]);
        }

        Assert.Equal(matrices.Count + vectors.Count, layout.Entries.Count);
        Assert.All(matrices, m => Assert.True(layout.HostBytes(layout.Find(m)).SequenceEqual(m.Data.Span)));
        Assert.All(vectors, v => Assert.True(layout.HostBytes(layout.Find(v)).SequenceEqual(MemoryMarshal.AsBytes(v.AsSpan()))));
        Assert.Equal(layout.Entries.Count, layout.Entries.Select(e => e.Offset).Distinct().Count());
    }

    [Fact]
    public void Layout_TiedLmHead_IsTheEmbeddingsOneEntry()
    {
        var weights = Weights(layers: 1, tied: true);
        var layout = WeightArenaLayout.Of(weights);

        Assert.Equal("final_norm", layout.Entries[^1].Name);
        Assert.Same(layout.Find(weights.TokenEmbedding), layout.Find(weights.LmHead));
        Assert.Equal(1 + 12 + 1, layout.Entries.Count);
    }

    [Fact]
    public void Find_AWeightOfAnotherModel_SaysItIsNotBound()
    {
        var layout = WeightArenaLayout.Of(Weights(layers: 1, tied: false));
        var stranger = Matrix("other.weight", TensorDType.F32, 2, 3, seed: 9);

        var error = Assert.Throws<InvalidOperationException>(() => layout.Find(stranger));

        Assert.Contains("other.weight F32 [2, 3] is not one of the bound model's weights", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Shapes are small and odd (vectors of 5 and 7 values, matrices of 3 × 10 bf16): no entry is a multiple of 256 bytes.
    /// The embedding is Q8_0 (34-byte blocks) so two stored dtypes sit side by side.
    /// </summary>
    internal static Qwen2Weights Weights(int layers, bool tied)
    {
        var embedding = new WeightTensor("embed", TensorDType.Q8_0, [3, 32], Bytes(3 * 34, seed: 1));
        var list = new List<Qwen2LayerWeights>();
        for (int i = 0; i < layers; i++)
        {
            int seed = 100 * (i + 1);
            list.Add(new Qwen2LayerWeights(
                Vector(5, seed + 1), Matrix($"l{i}.q", TensorDType.BF16, 3, 10, seed + 2), Vector(7, seed + 3),
                Matrix($"l{i}.k", TensorDType.BF16, 3, 10, seed + 4), Vector(7, seed + 5),
                Matrix($"l{i}.v", TensorDType.BF16, 3, 10, seed + 6), Vector(7, seed + 7),
                Matrix($"l{i}.o", TensorDType.BF16, 3, 10, seed + 8), Vector(5, seed + 9),
                Matrix($"l{i}.gate", TensorDType.BF16, 3, 10, seed + 10), Matrix($"l{i}.up", TensorDType.BF16, 3, 10, seed + 11),
                Matrix($"l{i}.down", TensorDType.BF16, 3, 10, seed + 12)));
        }

        return new Qwen2Weights(embedding, list, Vector(5, 7), tied ? embedding : Matrix("lm_head", TensorDType.F32, 3, 5, seed: 8));
    }

    private static WeightTensor Matrix(string name, TensorDType type, int rows, int columns, int seed) =>
        new(name, type, [rows, columns], Bytes(rows * columns * (type == TensorDType.F32 ? 4 : 2), seed));

    private static float[] Vector(int length, int seed) => Kernels.TestData.Floats(length, seed);

    private static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
