using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Models;

/// <summary>
/// The Qwen2 decoder (DESIGN.md §3). One <see cref="Forward"/> call runs a flat batch of tokens
/// from any number of sequences — prefill chunks and decode tokens mixed — described by explicit
/// <see cref="AttentionMetadata"/>. All compute goes through <see cref="IComputeBackend"/>.
/// </summary>
public sealed class Qwen2Model
{
    private readonly Qwen2Weights _weights;
    private readonly IComputeBackend _backend;
    private readonly ForwardBuffers _buffers;

    public Qwen2Model(Qwen2Config config, Qwen2Weights weights, IComputeBackend backend)
    {
        Config = config;
        _weights = weights;
        _backend = backend;
        _buffers = new ForwardBuffers(config, backend);
    }

    public Qwen2Config Config { get; }

    /// <summary>
    /// Runs the batch, writing each token's K/V into <paramref name="cache"/>, and the logits of the
    /// batch tokens listed in <paramref name="logitRows"/> into <paramref name="logits"/> ([logit rows, vocab]).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokenIds, AttentionMetadata metadata, KvCachePool cache, ReadOnlySpan<int> logitRows, Span<float> logits)
    {
        if (logits.Length != logitRows.Length * Config.VocabSize)
        {
            throw new ArgumentException($"logits must hold {logitRows.Length} × {Config.VocabSize} values", nameof(logits));
        }

        var selected = Run(tokenIds, metadata, cache, logitRows);
        _backend.ComputeLogits(_weights.LmHead, selected, logitRows.Length, logits);
    }

    /// <summary>
    /// Runs the batch like <see cref="Forward"/>, then each draw on its row of the logits where the backend computed them:
    /// only the drawn tokens and logprobs leave the backend (<see cref="SamplingRow.LogitsRow"/> indexes <paramref name="logitRows"/>).
    /// </summary>
    public void ForwardAndSample(ReadOnlySpan<int> tokenIds, AttentionMetadata metadata, KvCachePool cache, ReadOnlySpan<int> logitRows, ReadOnlySpan<SamplingRow> draws)
    {
        foreach (var draw in draws)
        {
            if ((uint)draw.LogitsRow >= (uint)logitRows.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(draws), $"a draw reads logits row {draw.LogitsRow} of {logitRows.Length}");
            }
        }

        var selected = Run(tokenIds, metadata, cache, logitRows);
        _backend.Sample(_weights.LmHead, selected, logitRows.Length, draws);
    }

    /// <summary>The decoder layers and final norm: the normalized hidden states of the <paramref name="logitRows"/> tokens ([logit rows, hidden]).</summary>
    private Activations Run(ReadOnlySpan<int> tokenIds, AttentionMetadata metadata, KvCachePool cache, ReadOnlySpan<int> logitRows)
    {
        int tokens = tokenIds.Length;
        if (tokens != metadata.TokenCount)
        {
            throw new ArgumentException($"{tokens} token ids but metadata describes {metadata.TokenCount}", nameof(tokenIds));
        }

        foreach (int id in tokenIds)
        {
            if ((uint)id >= (uint)Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokenIds), $"token id {id} is outside the vocabulary (0..{Config.VocabSize - 1})");
            }
        }

        foreach (int row in logitRows)
        {
            if ((uint)row >= (uint)tokens)
            {
                throw new ArgumentOutOfRangeException(nameof(logitRows), $"logit row {row} is outside the batch of {tokens} tokens");
            }
        }

        _buffers.EnsureCapacity(Math.Max(tokens, logitRows.Length));
        int hidden = Config.HiddenSize;
        int qDim = Config.NumAttentionHeads * Config.HeadDim;
        int kvDim = Config.KvDim;
        int inter = Config.IntermediateSize;

        var x = _buffers.Residual.Slice(0, tokens * hidden);           // [tokens, hidden]
        var normed = _buffers.Normed.Slice(0, tokens * hidden);        // [tokens, hidden]
        var q = _buffers.Q.Slice(0, tokens * qDim);                    // [tokens, heads * head_dim]
        var k = _buffers.K.Slice(0, tokens * kvDim);                   // [tokens, kv_dim]
        var v = _buffers.V.Slice(0, tokens * kvDim);                   // [tokens, kv_dim]
        var attention = _buffers.Attention.Slice(0, tokens * qDim);    // [tokens, heads * head_dim]
        var projected = _buffers.Projected.Slice(0, tokens * hidden);  // [tokens, hidden]
        var gate = _buffers.Gate.Slice(0, tokens * inter);             // [tokens, intermediate]
        var up = _buffers.Up.Slice(0, tokens * inter);                 // [tokens, intermediate]

        _backend.BeginStep(metadata);
        _backend.EmbeddingLookup(_weights.TokenEmbedding, tokenIds, x);
        for (int layer = 0; layer < _weights.Layers.Count; layer++)
        {
            var w = _weights.Layers[layer];

            // Attention block: x += o_proj(attention(rope(q), rope(k), v)).
            _backend.RmsNorm(x, w.AttnNorm, Config.RmsNormEps, normed, tokens);
            _backend.MatMuls(normed, tokens, [new(w.Q, w.QBias, q), new(w.K, w.KBias, k), new(w.V, w.VBias, v)]);
            _backend.Rope(q, metadata, Config.NumAttentionHeads, Config.HeadDim, Config.RopeTheta);
            _backend.Rope(k, metadata, Config.NumKeyValueHeads, Config.HeadDim, Config.RopeTheta);
            _backend.StoreKv(k, v, metadata, cache.Layers[layer]);
            _backend.Attention(q, cache.Layers[layer], metadata, Config.NumAttentionHeads, Config.NumKeyValueHeads, Config.HeadDim, attention);
            _backend.MatMul(w.O, [], attention, projected, tokens);
            _backend.Add(x, projected);

            // MLP block: x += down(silu(gate(h)) · up(h)).
            _backend.RmsNorm(x, w.FfnNorm, Config.RmsNormEps, normed, tokens);
            _backend.MatMuls(normed, tokens, [new(w.Gate, [], gate), new(w.Up, [], up)]);
            _backend.SiluMul(gate, up, gate);
            _backend.MatMul(w.Down, [], gate, projected, tokens);
            _backend.Add(x, projected);
        }

        // Only the requested rows go through the final norm and the (large) lm_head.
        int rows = logitRows.Length;
        var selected = _buffers.LogitInput.Slice(0, rows * hidden);    // [logit rows, hidden]
        _backend.CopyRows(x, logitRows, hidden, selected);
        _backend.RmsNorm(selected, _weights.FinalNorm, Config.RmsNormEps, selected, rows);
        return selected;
    }
}
