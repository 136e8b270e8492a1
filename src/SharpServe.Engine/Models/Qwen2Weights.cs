using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Models;

/// <summary>One decoder layer's weights. Matrices stay in their stored dtype; small vectors are widened to f32 once at load.</summary>
public sealed record Qwen2LayerWeights(
    float[] AttnNorm,     // [hidden]
    WeightTensor Q,       // [heads * head_dim, hidden]
    float[] QBias,        // [heads * head_dim]
    WeightTensor K,       // [kv_heads * head_dim, hidden]
    float[] KBias,        // [kv_heads * head_dim]
    WeightTensor V,       // [kv_heads * head_dim, hidden]
    float[] VBias,        // [kv_heads * head_dim]
    WeightTensor O,       // [hidden, heads * head_dim]
    float[] FfnNorm,      // [hidden]
    WeightTensor Gate,    // [intermediate, hidden]
    WeightTensor Up,      // [intermediate, hidden]
    WeightTensor Down);   // [hidden, intermediate]

public sealed record Qwen2Weights(
    WeightTensor TokenEmbedding,          // [vocab, hidden]
    IReadOnlyList<Qwen2LayerWeights> Layers,
    float[] FinalNorm,                    // [hidden]
    WeightTensor LmHead)                  // [vocab, hidden]; the embedding itself when tied
{
    /// <summary>
    /// Bytes of weights the kernels read: every matrix as stored where it is mapped (a tied lm_head once) and the
    /// norms and biases widened to f32. Tensors of the checkpoint that nothing binds are not counted.
    /// </summary>
    public long ResidentBytes()
    {
        long bytes = TokenEmbedding.Data.Length + (ReferenceEquals(LmHead, TokenEmbedding) ? 0 : LmHead.Data.Length) + (sizeof(float) * (long)FinalNorm.Length);
        foreach (var layer in Layers)
        {
            WeightTensor[] matrices = [layer.Q, layer.K, layer.V, layer.O, layer.Gate, layer.Up, layer.Down];
            float[][] vectors = [layer.AttnNorm, layer.QBias, layer.KBias, layer.VBias, layer.FfnNorm];
            bytes += matrices.Sum(m => (long)m.Data.Length) + (sizeof(float) * vectors.Sum(v => (long)v.Length));
        }

        return bytes;
    }
}
