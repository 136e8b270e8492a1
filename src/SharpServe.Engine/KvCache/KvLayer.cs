using SharpServe.Engine.Memory;

namespace SharpServe.Engine.KvCache;

/// <summary>
/// One layer's keys and values for every slot of the block pool, wherever the backend keeps them (<see cref="KvLayerCache"/>
/// on the host; device memory on a GPU). Slot s = block · block_size + offset holds K[s, kv_heads · head_dim] and
/// V[s, kv_heads · head_dim]. Only the compute backend reads or writes the elements; everything above it sees slots and blocks.
/// </summary>
public abstract class KvLayer : IDisposable
{
    protected KvLayer(int slots, int kvDim, KvCacheDType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvDim);
        Slots = slots;
        KvDim = kvDim;
        DType = dtype;
        SlotBytes = kvDim * dtype.BytesPerElement();
    }

    public int Slots { get; }
    public int KvDim { get; }
    public KvCacheDType DType { get; }

    /// <summary>Bytes of one slot's K (or V) row.</summary>
    public int SlotBytes { get; }

    /// <summary>Backs every page of the layer now (see <see cref="KvCachePool.Prefault"/>), keeping its contents.</summary>
    public abstract void Prefault();

    /// <summary>Copies the K and V of <paramref name="count"/> consecutive slots; the ranges must not overlap.</summary>
    public abstract void CopySlots(int sourceSlot, int destinationSlot, int count);

    /// <summary>Frees the layer's memory where the backend holds it (device memory is not the GC's to reclaim).</summary>
    public abstract void Dispose();
}
