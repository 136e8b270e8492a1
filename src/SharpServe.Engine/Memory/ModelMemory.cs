using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Memory;

/// <summary>The byte counts of a model's parts that the <see cref="MemoryBudget"/> is planned from.</summary>
public static class ModelMemory
{
    /// <summary>
    /// Bytes of this process's own weights: the tensors' data lengths in the mapped files. Counted
    /// from the checkpoint, never from what the OS reports free, so another instance on the same
    /// machine does not shrink this one's plan (vLLM #17979).
    /// </summary>
    public static long WeightBytes(ModelCheckpoint checkpoint) =>
        checkpoint.Tensors.Values.Sum(tensor => (long)tensor.Data.Length);

    /// <summary>
    /// f32 values per batched token of one forward pass: the ForwardBuffers arrays plus a row of
    /// logits, assuming every token may ask for logits (prompt logprobs):
    /// Residual, Normed, Projected, LogitInput [t, hidden] · Q, Attention [t, heads × head_dim] ·
    /// K, V [t, kv_dim] · Gate, Up [t, intermediate] · logits [t, vocab].
    /// </summary>
    public static long ActivationFloatsPerToken(Qwen2Config config)
    {
        long qDim = (long)config.NumAttentionHeads * config.HeadDim;
        return (4L * config.HiddenSize) + (2 * qDim) + (2L * config.KvDim) + (2L * config.IntermediateSize) + config.VocabSize;
    }

    public static long ActivationBytes(Qwen2Config config, int maxNumBatchedTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNumBatchedTokens);
        return ActivationFloatsPerToken(config) * maxNumBatchedTokens * sizeof(float);
    }

    /// <summary>K and V of one token over all layers: 2 × layers × kv_dim × element size.</summary>
    public static long KvBytesPerToken(Qwen2Config config, KvCacheDType dtype) =>
        2L * config.NumHiddenLayers * config.KvDim * dtype.BytesPerElement();
}
