using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// A layer's K storage as attention reads it: one KV head's rows of one cache block at a time, in f32 (V is read as
/// tiles, <see cref="KvValueTiles"/>).
/// An f32 cache is read in place, so its arithmetic is exactly what it was before 16-bit caches existed;
/// an f16/bf16 block is widened once into per-worker scratch, where every query head of the group reuses it from L1.
/// </summary>
internal readonly unsafe struct KvHeadRows(byte* data, TensorDType type, int kvDim, int blockSize)
{
    private const int CacheLineBytes = 64;

    private readonly byte* _data = data;    // [slots, kvDim] elements of type
    private readonly int _kvDim = kvDim;
    private readonly int _blockSize = blockSize;
    private readonly long _blockBytes = (long)blockSize * TensorDTypeInfo.ByteSize(type, kvDim);
    private readonly long _slotBytes = TensorDTypeInfo.ByteSize(type, kvDim);
    private readonly long _elementBytes = TensorDTypeInfo.ByteSize(type, 1);

    public TensorDType Type { get; } = type;

    /// <summary>
    /// Rows [count, headDim] of slots block·blockSize + [0, count), head columns [headOffset, headOffset + headDim),
    /// as f32 with <paramref name="stride"/> floats from one row to the next. scratch: [blockSize, headDim] f32,
    /// used only by 16-bit caches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Read<TS, TV>(int block, int count, int headOffset, int headDim, float* scratch, out int stride)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        byte* first = _data + (block * _blockBytes);
        if (Type == TensorDType.F32)
        {
            stride = _kvDim;
            return (float*)first + headOffset;
        }

        RowDecoder.DecodeRows<TS, TV>(Type, first, _slotBytes, count, headOffset, headDim, scratch);
        stride = headDim;
        return scratch;
    }

    /// <summary>
    /// Starts loading a block's head rows ahead of <see cref="Read{TS, TV}"/>. A 16-bit block is widened in one burst
    /// of loads with no arithmetic to hide their latency (f32 rows are read amid the dot products), so without this
    /// a 16-bit cache streamed from DRAM was slower than f32 despite half the bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch<TS, TV>(int block, int headOffset, int headDim)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (Type == TensorDType.F32)
        {
            return;
        }

        byte* row = _data + (block * _blockBytes) + (headOffset * _elementBytes);
        long rowBytes = headDim * _elementBytes;
        for (int j = 0; j < _blockSize; j++, row += _slotBytes)
        {
            for (long line = 0; line < rowBytes; line += CacheLineBytes)
            {
                TS.Prefetch(row + line);
            }
        }
    }
}
