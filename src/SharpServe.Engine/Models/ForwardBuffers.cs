using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Models;

/// <summary>
/// Activation buffers of one forward pass, allocated for a token capacity and grown only when a
/// larger batch arrives, so steady-state steps allocate nothing.
/// </summary>
internal sealed class ForwardBuffers(Qwen2Config config)
{
    public int Capacity { get; private set; }

    public float[] Residual { get; private set; } = [];   // [tokens, hidden]
    public float[] Normed { get; private set; } = [];     // [tokens, hidden]
    public float[] Q { get; private set; } = [];          // [tokens, heads * head_dim]
    public float[] K { get; private set; } = [];          // [tokens, kv_heads * head_dim]
    public float[] V { get; private set; } = [];          // [tokens, kv_heads * head_dim]
    public float[] Attention { get; private set; } = [];  // [tokens, heads * head_dim]
    public float[] Projected { get; private set; } = [];  // [tokens, hidden]
    public float[] Gate { get; private set; } = [];       // [tokens, intermediate]
    public float[] Up { get; private set; } = [];         // [tokens, intermediate]
    public float[] LogitInput { get; private set; } = []; // [logit rows, hidden]

    public void EnsureCapacity(int tokens)
    {
        if (tokens <= Capacity)
        {
            return;
        }

        int capacity = Math.Max(tokens, Capacity * 2);
        int qDim = config.NumAttentionHeads * config.HeadDim;
        Residual = new float[capacity * config.HiddenSize];
        Normed = new float[capacity * config.HiddenSize];
        Q = new float[capacity * qDim];
        K = new float[capacity * config.KvDim];
        V = new float[capacity * config.KvDim];
        Attention = new float[capacity * qDim];
        Projected = new float[capacity * config.HiddenSize];
        Gate = new float[capacity * config.IntermediateSize];
        Up = new float[capacity * config.IntermediateSize];
        LogitInput = new float[capacity * config.HiddenSize];
        Capacity = capacity;
    }
}
