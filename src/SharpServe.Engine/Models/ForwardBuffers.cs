using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Models;

/// <summary>
/// Activation buffers of one forward pass, allocated by the backend (where it computes) for a token capacity and grown
/// only when a larger batch arrives, so steady-state steps allocate nothing.
/// </summary>
internal sealed class ForwardBuffers(Qwen2Config config, IComputeBackend backend)
{
    private ActivationBuffer[] _all = [];

    public int Capacity { get; private set; }

    public ActivationBuffer Residual { get; private set; } = null!;   // [tokens, hidden]
    public ActivationBuffer Normed { get; private set; } = null!;     // [tokens, hidden]
    public ActivationBuffer Q { get; private set; } = null!;          // [tokens, heads * head_dim]
    public ActivationBuffer K { get; private set; } = null!;          // [tokens, kv_heads * head_dim]
    public ActivationBuffer V { get; private set; } = null!;          // [tokens, kv_heads * head_dim]
    public ActivationBuffer Attention { get; private set; } = null!;  // [tokens, heads * head_dim]
    public ActivationBuffer Projected { get; private set; } = null!;  // [tokens, hidden]
    public ActivationBuffer Gate { get; private set; } = null!;       // [tokens, intermediate]
    public ActivationBuffer Up { get; private set; } = null!;         // [tokens, intermediate]
    public ActivationBuffer LogitInput { get; private set; } = null!; // [logit rows, hidden]

    public void EnsureCapacity(int tokens)
    {
        if (tokens <= Capacity)
        {
            return;
        }

        foreach (var buffer in _all)
        {
            buffer.Dispose();
        }

        int capacity = Math.Max(tokens, Capacity * 2);
        int qDim = config.NumAttentionHeads * config.HeadDim;
        Residual = backend.Allocate(capacity * config.HiddenSize);
        Normed = backend.Allocate(capacity * config.HiddenSize);
        Q = backend.Allocate(capacity * qDim);
        K = backend.Allocate(capacity * config.KvDim);
        V = backend.Allocate(capacity * config.KvDim);
        Attention = backend.Allocate(capacity * qDim);
        Projected = backend.Allocate(capacity * config.HiddenSize);
        Gate = backend.Allocate(capacity * config.IntermediateSize);
        Up = backend.Allocate(capacity * config.IntermediateSize);
        LogitInput = backend.Allocate(capacity * config.HiddenSize);
        _all = [Residual, Normed, Q, K, V, Attention, Projected, Gate, Up, LogitInput];
        Capacity = capacity;
    }
}
