using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// The compute seam: every operation of the forward pass goes through this interface, so a GPU backend can replace the
/// CPU one without touching the model, scheduler or KV cache. Activations are f32 <see cref="Activations"/> and KV layers
/// <see cref="KvLayer"/>s, both allocated by the backend where it computes; weights are the checkpoint's tensors in their
/// stored dtype (a GPU backend uploads each once, on first use). Host data crosses the seam only as token ids and
/// attention metadata in, and drawn tokens (<see cref="Sample"/>) or, for tools, logits (<see cref="ComputeLogits"/>) out. Implementations must not allocate per call on the hot path.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Worker threads used by the kernels.</summary>
    int Threads { get; }

    /// <summary>A buffer of <paramref name="length"/> f32 values, zeroed, where the kernels run.</summary>
    ActivationBuffer Allocate(int length);

    /// <summary>One layer of a KV cache pool: <paramref name="slots"/> slots of K and V rows of <paramref name="kvDim"/> elements.</summary>
    KvLayer AllocateKvLayer(int slots, int kvDim, KvCacheDType dtype);

    /// <summary>
    /// Starts a forward pass over the tokens <paramref name="metadata"/> describes; the operations below that take metadata get
    /// this object until the next call (a GPU uploads its positions, slots and block tables once, here).
    /// </summary>
    void BeginStep(AttentionMetadata metadata);

    /// <summary>y = x·Wᵀ + bias. x: [tokens, in], W: [out, in], y: [tokens, out]; bias empty or [out].</summary>
    void MatMul(WeightTensor weight, float[] bias, Activations x, Activations y, int tokens);

    /// <summary>
    /// Every projection's <see cref="MatMul"/> of one input (q, k and v of a layer; gate and up), each result exactly what its
    /// own call gives. One call lets a backend prepare x once and split the rows of all the weights across its threads as
    /// one job (vLLM fuses these weights at load instead; the weights here stay as the file holds them, shared by
    /// instances). x: [tokens, in], every weight [out_i, in].
    /// </summary>
    void MatMuls(Activations x, int tokens, ReadOnlySpan<Projection> projections)
    {
        foreach (var projection in projections)
        {
            MatMul(projection.Weight, projection.Bias, x, projection.Output, tokens);
        }
    }

    /// <summary>y[t, :] = table[ids[t], :] widened to f32. table: [vocab, hidden], y: [tokens, hidden].</summary>
    void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Activations y);

    /// <summary>y[t, :] = x[t, :] / sqrt(mean(x[t, :]²) + eps) · weight. x, y: [tokens, dim]; may alias.</summary>
    void RmsNorm(Activations x, float[] weight, float eps, Activations y, int tokens);

    /// <summary>NEOX rotary embedding in place at the step's positions. x: [tokens, heads, head_dim].</summary>
    void Rope(Activations x, AttentionMetadata metadata, int heads, int headDim, float theta);

    /// <summary>y = silu(gate) · up, element-wise. All [tokens, intermediate].</summary>
    void SiluMul(Activations gate, Activations up, Activations y);

    /// <summary>x += y, element-wise.</summary>
    void Add(Activations x, Activations y);

    /// <summary>Writes each token's K and V ([tokens, kv_dim]) into its slot, rounded to nearest even in the cache's dtype.</summary>
    void StoreKv(Activations k, Activations v, AttentionMetadata metadata, KvLayer cache);

    /// <summary>
    /// Causal scaled-dot-product attention with grouped KV heads over the paged cache (K/V of the current tokens already
    /// stored). q, output: [tokens, heads · head_dim]; query head h reads KV head h / (heads / kv_heads); scale 1/sqrt(head_dim).
    /// </summary>
    void Attention(Activations q, KvLayer cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Activations output);

    /// <summary>destination[r, :] = source[rows[r], :], rows of <paramref name="width"/> values.</summary>
    void CopyRows(Activations source, ReadOnlySpan<int> rows, int width, Activations destination);

    /// <summary>
    /// logits = hidden·lm_headᵀ straight into host memory: the step's output. hidden: [rows, hidden]; logits: [rows, vocab].
    /// (A GPU computes into device memory and copies the rows back; the CPU writes the caller's array.)
    /// </summary>
    void ComputeLogits(WeightTensor lmHead, Activations hidden, int rows, Span<float> logits);

    /// <summary>
    /// logits = hidden·lm_headᵀ kept where the backend computes, then each draw run on its row (<see cref="SamplingRow"/>
    /// states the draw exactly); only the drawn tokens and logprobs come back, written into the rows. hidden: [rows, hidden].
    /// </summary>
    void Sample(WeightTensor lmHead, Activations hidden, int rows, ReadOnlySpan<SamplingRow> draws);
}
