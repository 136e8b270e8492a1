using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// A layer's V storage as attention reads it: <see cref="KvLayerCache"/>'s tiles of 16 slots, [kvDim, 16] elements each.
/// A KV head's slice of a tile, [headDim, 16], is contiguous: an f32 cache is read in place, a 16-bit one widened once
/// into scratch. Block sizes that are not whole tiles read a block's rows back in slot order instead.
/// </summary>
internal readonly unsafe struct KvValueTiles(byte* data, TensorDType type, int kvDim)
{
    public const int TileSlots = KvLayerCache.ValueTileSlots;

    private readonly byte* _data = data;    // [tiles, kvDim, 16] elements of type
    private readonly int _kvDim = kvDim;
    private readonly long _elementBytes = TensorDTypeInfo.ByteSize(type, 1);

    public TensorDType Type { get; } = type;

    /// <summary>[headDim, 16] f32: element columns [headOffset, headOffset + headDim) of cache tile <paramref name="tile"/>. scratch: [headDim, 16] f32, used only by 16-bit caches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Tile<TS, TV>(int tile, int headOffset, int headDim, float* scratch)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        byte* first = _data + (KvLayerCache.ValueElement(tile * TileSlots, headOffset, _kvDim) * _elementBytes);
        if (Type == TensorDType.F32)
        {
            return (float*)first;
        }

        RowDecoder.DecodeRows<TS, TV>(Type, first, 0, 1, 0, headDim * TileSlots, scratch);
        return scratch;
    }

    /// <summary>Rows [count, headDim] f32 of slots firstSlot + [0, count), element columns [headOffset, headOffset + headDim), gathered into <paramref name="scratch"/>.</summary>
    public float* Rows(int firstSlot, int count, int headOffset, int headDim, float* scratch)
    {
        for (int j = 0; j < count; j++)
        {
            long element = KvLayerCache.ValueElement(firstSlot + j, headOffset, _kvDim);
            for (int d = 0; d < headDim; d++, element += TileSlots)
            {
                scratch[((long)j * headDim) + d] = Element(element);
            }
        }

        return scratch;
    }

    /// <summary>Starts loading a 16-bit tile's head slice ahead of <see cref="Tile{TS, TV}"/> (f32 tiles are read amid the arithmetic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch<TS, TV>(int tile, int headOffset, int headDim)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (Type == TensorDType.F32)
        {
            return;
        }

        byte* first = _data + (KvLayerCache.ValueElement(tile * TileSlots, headOffset, _kvDim) * _elementBytes);
        long bytes = headDim * TileSlots * _elementBytes;
        for (long line = 0; line < bytes; line += 64)
        {
            TS.Prefetch(first + line);
        }
    }

    private float Element(long index) => Type switch
    {
        TensorDType.F32 => ((float*)_data)[index],
        TensorDType.F16 => (float)BitConverter.UInt16BitsToHalf(((ushort*)_data)[index]),
        TensorDType.BF16 => BitConverter.Int32BitsToSingle(((ushort*)_data)[index] << 16),
        _ => throw new NotSupportedException($"a {Type} KV cache"),
    };
}
