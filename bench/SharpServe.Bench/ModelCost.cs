using SharpServe.Engine.Loading;

namespace SharpServe.Bench;

/// <summary>
/// What one forward pass costs, counted from the file: the weight bytes streamed from memory (every tensor
/// but the embedding table, which is only gathered from — unless tied, when it is also the LM head), the
/// matmul parameters applied to every token (the decoder layers), the LM head's applied once per logits row,
/// and the attention FLOPs per token per context position.
/// </summary>
public sealed record ModelCost(long WeightBytes, long BodyMatmulParams, long HeadMatmulParams, long AttentionFlopsPerKey)
{
    public static ModelCost FromCheckpoint(ModelCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var config = checkpoint.Config;
        string embedding = checkpoint.Names.TokenEmbedding;
        string head = config.TieWordEmbeddings ? embedding : checkpoint.Names.LmHead;
        var streamed = checkpoint.Tensors.Values.Where(t => t.Name != embedding || config.TieWordEmbeddings).ToList();
        long body = streamed.Where(t => t.Shape.Length == 2 && t.Name != head).Sum(t => t.ElementCount);
        long headParams = checkpoint.Tensors[head].ElementCount;
        return new ModelCost(streamed.Sum(t => (long)t.Data.Length), body, headParams, AttentionFlopsPerKeyOf(config));
    }

    /// <summary>Per layer and head, q·k and p·v are each head_dim multiply-adds per key: 4 · heads · head_dim · layers FLOPs.</summary>
    public static long AttentionFlopsPerKeyOf(Qwen2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return 4L * config.NumAttentionHeads * config.HeadDim * config.NumHiddenLayers;
    }

    /// <summary>
    /// FLOPs of <paramref name="sequences"/> sequences each advancing by <paramref name="tokens"/> tokens from
    /// <paramref name="startContext"/> cached ones, with <paramref name="logitRowsPerSequence"/> LM-head rows each:
    /// the token at context position p (1-based, itself included) attends to p keys.
    /// </summary>
    public double Flops(int sequences, int startContext, int tokens, int logitRowsPerSequence)
    {
        double keys = (double)tokens * startContext + (double)tokens * (tokens + 1) / 2;
        double perSequence = 2.0 * BodyMatmulParams * tokens + 2.0 * HeadMatmulParams * logitRowsPerSequence + AttentionFlopsPerKey * keys;
        return sequences * perSequence;
    }
}
