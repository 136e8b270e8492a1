namespace SharpServe.Engine.KvCache;

/// <summary>
/// One layer's keys and values for every slot of the block pool, f32.
/// Slot s = block * block_size + offset holds K[s, kv_heads * head_dim] and V[s, kv_heads * head_dim].
/// </summary>
public sealed class KvLayerCache(int slots, int kvDim)
{
    public int KvDim { get; } = kvDim;
    public float[] Keys { get; } = new float[(long)slots * kvDim];    // [slots, kv_heads * head_dim]
    public float[] Values { get; } = new float[(long)slots * kvDim];  // [slots, kv_heads * head_dim]
}
