using SharpServe.Engine.Memory;

namespace SharpServe.Engine.KvCache;

/// <summary>A <see cref="KvLayer"/> in host memory (the CPU backend's): K and V as arrays of little-endian elements of <see cref="KvLayer.DType"/>.</summary>
public sealed class KvLayerCache : KvLayer
{
    public KvLayerCache(int slots, int kvDim, KvCacheDType dtype = KvCacheDType.Float32)
        : base(slots, kvDim, dtype)
    {
        Keys = new byte[(long)slots * SlotBytes];
        Values = new byte[(long)slots * SlotBytes];
    }

    /// <summary>The most slots one layer can hold: K and V are each one array, and an array has at most <see cref="Array.MaxLength"/> bytes.</summary>
    public static long MaxSlots(int kvDim, KvCacheDType dtype) => Array.MaxLength / ((long)kvDim * dtype.BytesPerElement());

    public byte[] Keys { get; }    // [slots, kv_heads * head_dim] elements of DType
    public byte[] Values { get; }  // [slots, kv_heads * head_dim] elements of DType

    /// <summary>Writes one byte of every 4 KiB page of K and V back unchanged, so the OS backs the arrays now (see <see cref="KvCachePool.Prefault"/>).</summary>
    public override void Prefault()
    {
        foreach (var array in new[] { Keys, Values })
        {
            for (long i = 0; i < array.LongLength; i += 4096)
            {
                Volatile.Write(ref array[i], Volatile.Read(ref array[i]));
            }
        }
    }

    public override void CopySlots(int sourceSlot, int destinationSlot, int count)
    {
        int bytes = count * SlotBytes;
        Array.Copy(Keys, (long)sourceSlot * SlotBytes, Keys, (long)destinationSlot * SlotBytes, bytes);
        Array.Copy(Values, (long)sourceSlot * SlotBytes, Values, (long)destinationSlot * SlotBytes, bytes);
    }

    /// <summary>Host arrays: the GC reclaims them.</summary>
    public override void Dispose()
    {
    }
}
