using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.KvCache;

/// <summary>
/// A <see cref="KvLayer"/> in host memory (the CPU backend's): K and V as arrays of little-endian elements of
/// <see cref="KvLayer.DType"/>. K is slot-major, [slots, kv_dim]. V is kept in tiles of <see cref="ValueTileSlots"/>
/// slots, each tile [kv_dim, 16]: one element of 16 consecutive slots is contiguous, so decode attention's weighted sum
/// (llama.cpp's lanes along positions, position p in lane p mod width) loads a whole vector of positions per element
/// instead of keeping every lane's partial sums in memory. Use <see cref="WriteValueRow"/> / <see cref="ReadValueRow"/>
/// for a slot's V row.
/// </summary>
public sealed class KvLayerCache : KvLayer
{
    /// <summary>Slots per V tile: the widest vector of positions (16 floats) is one tile row.</summary>
    public const int ValueTileSlots = 16;

    public KvLayerCache(int slots, int kvDim, KvCacheDType dtype = KvCacheDType.Float32)
        : base(slots, kvDim, dtype)
    {
        Keys = new byte[(long)slots * SlotBytes];
        Values = new byte[(long)ValueTiles(slots) * ValueTileSlots * SlotBytes];
    }

    /// <summary>The most slots one layer can hold: K and V are each one array, and an array has at most <see cref="Array.MaxLength"/> bytes.</summary>
    public static long MaxSlots(int kvDim, KvCacheDType dtype) =>
        Array.MaxLength / ((long)kvDim * dtype.BytesPerElement()) / ValueTileSlots * ValueTileSlots;

    public byte[] Keys { get; }    // [slots, kv_heads * head_dim] elements of DType
    public byte[] Values { get; }  // [slots / 16 rounded up, kv_heads * head_dim, 16] elements of DType

    /// <summary>
    /// The V layout, in one place: the element index of element <paramref name="element"/> of <paramref name="slot"/>'s V row
    /// in a cache of <paramref name="kvDim"/>-element rows (the kernels read the same array by it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ValueElement(int slot, int element, int kvDim) =>
        ((((long)(slot / ValueTileSlots) * kvDim) + element) * ValueTileSlots) + (slot % ValueTileSlots);

    /// <summary>Element index in <see cref="Values"/> of element 0 of <paramref name="slot"/>'s V row; element e is 16·e further.</summary>
    public int FirstValueElement(int slot) => (int)ValueElement(slot, 0, KvDim);

    /// <summary>Stores one slot's V row, given as encoded elements in row order ([kv_dim] elements of DType).</summary>
    public void WriteValueRow(int slot, ReadOnlySpan<byte> row)
    {
        CheckRow(slot, row.Length);
        if (ElementBytes == sizeof(float))
        {
            Scatter(MemoryMarshal.Cast<byte, uint>(row), MemoryMarshal.Cast<byte, uint>(Values.AsSpan()), FirstValueElement(slot));
        }
        else
        {
            Scatter(MemoryMarshal.Cast<byte, ushort>(row), MemoryMarshal.Cast<byte, ushort>(Values.AsSpan()), FirstValueElement(slot));
        }
    }

    /// <summary>One slot's V row as encoded elements in row order ([kv_dim] elements of DType).</summary>
    public void ReadValueRow(int slot, Span<byte> row)
    {
        CheckRow(slot, row.Length);
        if (ElementBytes == sizeof(float))
        {
            Gather(MemoryMarshal.Cast<byte, uint>(Values.AsSpan()), FirstValueElement(slot), MemoryMarshal.Cast<byte, uint>(row));
        }
        else
        {
            Gather(MemoryMarshal.Cast<byte, ushort>(Values.AsSpan()), FirstValueElement(slot), MemoryMarshal.Cast<byte, ushort>(row));
        }
    }

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
        if (sourceSlot % ValueTileSlots == 0 && destinationSlot % ValueTileSlots == 0 && count % ValueTileSlots == 0)
        {
            Array.Copy(Values, (long)FirstValueElement(sourceSlot) * ElementBytes, Values, (long)FirstValueElement(destinationSlot) * ElementBytes, bytes);
            return;
        }

        Span<byte> row = new byte[SlotBytes];
        for (int s = 0; s < count; s++)
        {
            ReadValueRow(sourceSlot + s, row);
            WriteValueRow(destinationSlot + s, row);
        }
    }

    /// <summary>Host arrays: the GC reclaims them.</summary>
    public override void Dispose()
    {
    }

    private int ElementBytes => SlotBytes / KvDim;

    private static void Scatter<T>(ReadOnlySpan<T> row, Span<T> values, int first)
    {
        for (int e = 0; e < row.Length; e++)
        {
            values[first + (e * ValueTileSlots)] = row[e];
        }
    }

    private static void Gather<T>(ReadOnlySpan<T> values, int first, Span<T> row)
    {
        for (int e = 0; e < row.Length; e++)
        {
            row[e] = values[first + (e * ValueTileSlots)];
        }
    }

    private static int ValueTiles(int slots) => (slots + ValueTileSlots - 1) / ValueTileSlots;

    private void CheckRow(int slot, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Slots, nameof(slot));
        if (bytes != SlotBytes)
        {
            throw new ArgumentException($"a V row of this cache is {SlotBytes} bytes, got {bytes}");
        }
    }
}
