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
    WeightTensor LmHead);                 // [vocab, hidden]; the embedding itself when tied
