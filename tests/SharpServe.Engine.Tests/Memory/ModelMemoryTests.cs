using SharpServe.Engine.Creation;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Tests.Memory;

public sealed class ModelMemoryTests
{
    private static Qwen2Config R1 => ModelPresets.R1Distill1_5B;

    [Fact]
    public void KvBytesPerToken_R1Distill_MatchesHandComputed()
    {
        // head_dim = 1536 / 12 = 128; kv_dim = 2 kv heads × 128 = 256; K and V × 28 layers × 256 × 4 bytes.
        Assert.Equal(2 * 28 * 256 * 4, 57_344);
        Assert.Equal(57_344, ModelMemory.KvBytesPerToken(R1, KvCacheDType.Float32));
        Assert.Equal(28_672, ModelMemory.KvBytesPerToken(R1, KvCacheDType.Float16));
        Assert.Equal(28_672, ModelMemory.KvBytesPerToken(R1, KvCacheDType.BFloat16));
    }

    [Fact]
    public void ActivationBytes_R1Distill_MatchesHandComputed()
    {
        // Per token: 4 × hidden 1536 + 2 × q_dim 1536 + 2 × kv_dim 256 + 2 × intermediate 8960 + vocab 151936
        //          = 6144 + 3072 + 512 + 17920 + 151936 = 179,584 floats = 718,336 bytes.
        Assert.Equal(179_584, ModelMemory.ActivationFloatsPerToken(R1));
        Assert.Equal(718_336L * 2048, ModelMemory.ActivationBytes(R1, 2048));
    }

    [Fact]
    public void ActivationBytes_MatchTheBuffersTheModelReallyAllocates()
    {
        // Guards against a buffer being added to ForwardBuffers without the budget knowing.
        const int tokens = 37;
        var config = ModelPresets.Tiny;
        using var backend = new CpuBackend(1);
        var buffers = new ForwardBuffers(config, backend);
        buffers.EnsureCapacity(tokens);
        long floats = new[]
        {
            buffers.Residual, buffers.Normed, buffers.Q, buffers.K, buffers.V, buffers.Attention,
            buffers.Projected, buffers.Gate, buffers.Up, buffers.LogitInput,
        }.Sum(buffer => (long)buffer.Length);
        floats += (long)tokens * config.VocabSize; // the logits ModelRunner allocates per step

        Assert.Equal(floats * sizeof(float), ModelMemory.ActivationBytes(config, tokens));
    }

    [Fact]
    public void WeightBytes_AreTheTensorsDataLengths()
    {
        var tensors = new Dictionary<string, WeightTensor>
        {
            ["a"] = new("a", TensorDType.BF16, [3, 5], new byte[30]),
            ["b"] = new("b", TensorDType.F32, [7], new byte[28]),
        };
        using var checkpoint = new ModelCheckpoint(
            "fake", ModelPresets.Tiny, tensors, WeightNames.HuggingFace, null, new GenerationConfig(null, [], null, null), []);

        Assert.Equal(58, ModelMemory.WeightBytes(checkpoint));
    }
}
