using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Bench.Tests;

/// <summary>The cost counted from a real checkpoint equals the one derived by hand from the config.</summary>
public class ModelCostTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FromCheckpoint_CountsLayerMatmuls_TheHead_AndEveryStreamedByte(bool tied)
    {
        var config = ModelPresets.Tiny with { TieWordEmbeddings = tied };
        using var directory = new TempDirectory();
        string path = directory.File("model");
        RandomModelWriter.Write(new RandomModelSpec(config, ModelFileFormat.Hf, TensorDType.F32, 1, null), path);
        using var checkpoint = ModelLoader.Load(path);

        long h = config.HiddenSize, kv = config.KvDim, ffn = config.IntermediateSize, layers = config.NumHiddenLayers;
        long body = layers * (h * h + 2 * kv * h + h * h + 3 * h * ffn); // q, k, v, o; gate, up, down
        long head = config.VocabSize * h;
        long vectors = layers * (2 * h + h + 2 * kv) + h; // two norms and the q/k/v biases a layer, the final norm
        var cost = ModelCost.FromCheckpoint(checkpoint);

        Assert.Equal(body, cost.BodyMatmulParams);
        Assert.Equal(head, cost.HeadMatmulParams);
        // The embedding table is gathered, not streamed; tied, it is the head and is streamed once.
        Assert.Equal(4 * (body + head + vectors), cost.WeightBytes);
        Assert.Equal(4L * config.NumAttentionHeads * config.HeadDim * layers, cost.AttentionFlopsPerKey);
    }
}
