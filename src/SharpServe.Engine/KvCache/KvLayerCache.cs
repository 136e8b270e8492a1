using SharpServe.Engine.Memory;

namespace SharpServe.Engine.KvCache;

/// <summary>
/// One layer's keys and values for every slot of the block pool, as little-endian elements of <see cref="DType"/>.
/// Slot s = block * block_size + offset holds K[s, kv_heads * head_dim] and V[s, kv_heads * head_dim].
/// Only the compute backend reads or writes the elements; everything above it sees slots and blocks.
/// </summary>
public sealed class KvLayerCache
{
    public KvLayerCache(int slots, int kvDim, KvCacheDType dtype = KvCacheDType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvDim);
        Slots = slots;
        KvDim = kvDim;
        DType = dtype;
        SlotBytes = kvDim * dtype.BytesPerElement();
        Keys = new byte[(long)slots * SlotBytes];
        Values = new byte[(long)slots * SlotBytes];
    }

    /// <summary>The most slots one layer can hold: K and V are each one array, and an array has at most <see cref="Array.MaxLength"/> bytes.</summary>
    public static long MaxSlots(int kvDim, KvCacheDType dtype) => Array.MaxLength / ((long)kvDim * dtype.BytesPerElement());

    public int Slots { get; }
    public int KvDim { get; }
    public KvCacheDType DType { get; }

    /// <summary>Bytes of one slot's K (or V) row.</summary>
    public int SlotBytes { get; }

    public byte[] Keys { get; }    // [slots, kv_heads * head_dim] elements of DType
    public byte[] Values { get; }  // [slots, kv_heads * head_dim] elements of DType

    /// <summary>Writes one byte of every 4 KiB page of K and V back unchanged, so the OS backs the arrays now (see <see cref="KvCachePool.Prefault"/>).</summary>
    public void Prefault()
    {
        foreach (var array in new[] { Keys, Values })
        {
            for (long i = 0; i < array.LongLength; i += 4096)
            {
                Volatile.Write(ref array[i], Volatile.Read(ref array[i]));
            }
        }
    }

    /// <summary>Copies the K and V of <paramref name="count"/> consecutive slots; the ranges must not overlap.</summary>
    public void CopySlots(int sourceSlot, int destinationSlot, int count)
    {
        int bytes = count * SlotBytes;
        Array.Copy(Keys, (long)sourceSlot * SlotBytes, Keys, (long)destinationSlot * SlotBytes, bytes);
        Array.Copy(Values, (long)sourceSlot * SlotBytes, Values, (long)destinationSlot * SlotBytes, bytes);
    }
}
