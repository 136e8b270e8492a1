using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>Widens a run of one stored row to f32 (GEMM weight panels, embedding rows).</summary>
internal static unsafe class RowDecoder
{
    /// <summary>
    /// destination[0, count) = row[start, start + count) as f32. row points at element 0 of the row;
    /// for Q8_0, start is a multiple of 32 and count is too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode<TS, TV>(TensorDType type, byte* row, int start, int count, float* destination)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int vectorEnd = count - (count % TS.Count);
        switch (type)
        {
            case TensorDType.F32:
            {
                float* source = (float*)row + start;
                for (int i = 0; i < vectorEnd; i += TS.Count)
                {
                    TS.Store(destination + i, TS.Load(source + i));
                }

                for (int i = vectorEnd; i < count; i++)
                {
                    destination[i] = source[i];
                }

                break;
            }

            case TensorDType.BF16:
            {
                ushort* source = (ushort*)row + start;
                for (int i = 0; i < vectorEnd; i += TS.Count)
                {
                    TS.Store(destination + i, TS.LoadBf16(source + i));
                }

                for (int i = vectorEnd; i < count; i++)
                {
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
                }

                break;
            }

            case TensorDType.F16:
            {
                ushort* source = (ushort*)row + start;
                for (int i = 0; i < vectorEnd; i += TS.Count)
                {
                    TS.Store(destination + i, TS.LoadF16(source + i));
                }

                for (int i = vectorEnd; i < count; i++)
                {
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
                }

                break;
            }

            case TensorDType.Q8_0:
            {
                float* halfTable = HalfTable.Pointer;
                byte* block = row + ((long)start / 32 * 34);
                for (int i = 0; i < count; i += 32, block += 34)
                {
                    TV scale = TS.Broadcast(halfTable[*(ushort*)block]);
                    for (int j = 0; j < 32; j += TS.Count)
                    {
                        TS.Store(destination + i + j, TS.Multiply(TS.LoadInt8((sbyte*)block + 2 + j), scale));
                    }
                }

                break;
            }

            default:
                throw new NotSupportedException($"decoding {type}");
        }
    }
}
