using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>Widens runs of stored rows to f32 (GEMM weight panels, embedding rows, 16-bit KV cache blocks).</summary>
internal static unsafe class RowDecoder
{
    /// <summary>
    /// destination[0, count) = row[start, start + count) as f32. row points at element 0 of the row;
    /// for Q8_0 and Q4_0, start is a multiple of 32 and count is too; for Q6_K and Q4_K, of 256.
    /// </summary>
    public static void Decode<TS, TV>(TensorDType type, byte* row, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
        => DecodeRows<TS, TV>(type, row, 0, 1, start, count, destination);

    /// <summary>
    /// destination[r, 0, count) = row r's [start, start + count) as f32, for rows r in [0, rows) that begin rowBytes
    /// apart from <paramref name="first"/>; destination: [rows, count]. The dtype is dispatched once for all rows:
    /// a KV block's 16 short head rows would otherwise pay a call and a switch each.
    /// </summary>
    public static void DecodeRows<TS, TV>(TensorDType type, byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        switch (type)
        {
            case TensorDType.F32:
                DecodeF32<TS, TV>(first, rowBytes, rows, start, count, destination);
                break;
            case TensorDType.BF16:
                DecodeBf16<TS, TV>(first, rowBytes, rows, start, count, destination);
                break;
            case TensorDType.F16:
                DecodeF16<TS, TV>(first, rowBytes, rows, start, count, destination);
                break;
            case TensorDType.Q8_0:
                DecodeQ8_0<TS, TV>(first, rowBytes, rows, start, count, destination);
                break;
            case TensorDType.Q4_0:
                DecodeQ4_0<TS, TV>(first, rowBytes, rows, start, count, destination);
                break;
            case TensorDType.Q6_K:
                DecodeSuperBlocks(first, rowBytes, rows, start, count, destination, TensorDTypeInfo.Q6_KBlockBytes, Q6KCodec.Decode);
                break;
            case TensorDType.Q4_K:
                DecodeSuperBlocks(first, rowBytes, rows, start, count, destination, TensorDTypeInfo.Q4_KBlockBytes, Q4KCodec.Decode);
                break;
            default:
                throw new NotSupportedException($"decoding {type}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeF32<TS, TV>(byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int vectorEnd = count - (count % TS.Count);
        for (int r = 0; r < rows; r++, destination += count)
        {
            float* source = (float*)(first + (r * rowBytes)) + start;
            for (int i = 0; i < vectorEnd; i += TS.Count)
            {
                TS.Store(destination + i, TS.Load(source + i));
            }

            for (int i = vectorEnd; i < count; i++)
            {
                destination[i] = source[i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBf16<TS, TV>(byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int vectorEnd = count - (count % TS.Count);
        for (int r = 0; r < rows; r++, destination += count)
        {
            ushort* source = (ushort*)(first + (r * rowBytes)) + start;
            for (int i = 0; i < vectorEnd; i += TS.Count)
            {
                TS.Store(destination + i, TS.LoadBf16(source + i));
            }

            for (int i = vectorEnd; i < count; i++)
            {
                destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeF16<TS, TV>(byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int vectorEnd = count - (count % TS.Count);
        for (int r = 0; r < rows; r++, destination += count)
        {
            ushort* source = (ushort*)(first + (r * rowBytes)) + start;
            for (int i = 0; i < vectorEnd; i += TS.Count)
            {
                TS.Store(destination + i, TS.LoadF16(source + i));
            }

            for (int i = vectorEnd; i < count; i++)
            {
                destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
            }
        }
    }

    /// <summary>Rows of 34-byte blocks (fp16 scale, 32 int8); start and count are multiples of 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeQ8_0<TS, TV>(byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        float* halfTable = HalfTable.Pointer;
        for (int r = 0; r < rows; r++, destination += count)
        {
            byte* block = first + (r * rowBytes) + ((long)start / 32 * 34);
            for (int i = 0; i < count; i += 32, block += 34)
            {
                TV scale = TS.Broadcast(halfTable[*(ushort*)block]);
                for (int j = 0; j < 32; j += TS.Count)
                {
                    TS.Store(destination + i + j, TS.Multiply(TS.LoadInt8((sbyte*)block + 2 + j), scale));
                }
            }
        }
    }

    /// <summary>
    /// Rows of 18-byte blocks (fp16 scale, 16 bytes of nibbles: byte j holds element j low, j + 16 high);
    /// start and count are multiples of 32. The nibbles are widened to signed q − 8 first so the vector
    /// multiply is the same as Q8_0's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeQ4_0<TS, TV>(byte* first, long rowBytes, int rows, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        float* halfTable = HalfTable.Pointer;
        sbyte* quants = stackalloc sbyte[32];
        for (int r = 0; r < rows; r++, destination += count)
        {
            byte* block = first + (r * rowBytes) + ((long)start / 32 * 18);
            for (int i = 0; i < count; i += 32, block += 18)
            {
                for (int j = 0; j < 16; j++)
                {
                    quants[j] = (sbyte)((block[2 + j] & 0x0F) - 8);
                    quants[16 + j] = (sbyte)((block[2 + j] >> 4) - 8);
                }

                TV scale = TS.Broadcast(halfTable[*(ushort*)block]);
                for (int j = 0; j < 32; j += TS.Count)
                {
                    TS.Store(destination + i + j, TS.Multiply(TS.LoadInt8(quants + j), scale));
                }
            }
        }
    }

    /// <summary>
    /// Rows of K-quant super-blocks (256 values, blockBytes each); start and count are multiples of 256. Scalar: only
    /// embedding rows are decoded this way (K-quant matmuls never widen weights), one row per token.
    /// </summary>
    private static void DecodeSuperBlocks(
        byte* first, long rowBytes, int rows, int start, int count, float* destination, int blockBytes, SuperBlockDecoder decode)
    {
        const int Size = 256;
        for (int r = 0; r < rows; r++, destination += count)
        {
            byte* block = first + (r * rowBytes) + ((long)start / Size * blockBytes);
            for (int i = 0; i < count; i += Size, block += blockBytes)
            {
                decode(new ReadOnlySpan<byte>(block, blockBytes), new Span<float>(destination + i, Size));
            }
        }
    }

    private delegate void SuperBlockDecoder(ReadOnlySpan<byte> block, Span<float> values);
}
