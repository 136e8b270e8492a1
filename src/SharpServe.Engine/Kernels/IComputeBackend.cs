using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// The compute seam: every operation of the forward pass goes through this interface, so a GPU
/// backend can replace the CPU one without touching the model, scheduler or KV cache.
/// Activations are f32, row-major; weights are in their stored dtype. Implementations must not
/// allocate per call on the hot path.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Worker threads used by the kernels.</summary>
    int Threads { get; }

    /// <summary>y[t, o] = Σ_i W[o, i] · x[t, i] + bias[o]. x: [tokens, in], W: [out, in], y: [tokens, out]; bias empty or [out].</summary>
    void MatMul(WeightTensor weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y, int tokens);

    /// <summary>y[t, :] = table[ids[t], :] widened to f32. table: [vocab, hidden], y: [tokens, hidden].</summary>
    void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Span<float> y);

    /// <summary>y[t, :] = x[t, :] / sqrt(mean(x[t, :]²) + eps) · weight. x, y: [tokens, dim]; may alias.</summary>
    void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int tokens);

    /// <summary>NEOX rotary embedding in place: pairs (j, j + head_dim/2), angle = position · theta^(−2j/head_dim). x: [tokens, heads, head_dim].</summary>
    void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, float theta);

    /// <summary>y = silu(gate) · up, element-wise. All [tokens, intermediate].</summary>
    void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y);

    /// <summary>x += y, element-wise.</summary>
    void Add(Span<float> x, ReadOnlySpan<float> y);

    /// <summary>
    /// Writes each token's K and V ([tokens, kv_dim], f32) into its slot (<see cref="AttentionMetadata.Slots"/>),
    /// converted to the cache's dtype with round-to-nearest-even.
    /// </summary>
    void StoreKv(ReadOnlySpan<float> k, ReadOnlySpan<float> v, AttentionMetadata metadata, KvLayerCache cache);

    /// <summary>
    /// Causal scaled-dot-product attention with grouped KV heads over the paged cache
    /// (K/V of the current tokens already stored). q, output: [tokens, heads * head_dim].
    /// Query head h reads KV head h / (heads / kv_heads); scale 1/sqrt(head_dim). K/V are read in the cache's
    /// dtype and the arithmetic is f32.
    /// </summary>
    void Attention(ReadOnlySpan<float> q, KvLayerCache cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Span<float> output);
}
