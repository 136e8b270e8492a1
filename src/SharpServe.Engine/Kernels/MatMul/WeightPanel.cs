using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Eight Q8_0 or Q4_0 weight rows widened to int8 and interleaved for <see cref="PanelTile"/>, block after block:
/// 8 groups of 4 values × 8 rows × 4 bytes (one 32-byte load = values 4g..4g+3 of all 8 rows, vpdpbusd's signed operand),
/// then the rows' f32 scales d_w and their int32 −128·Σw (the activations arrive as x + 128, so starting each block's
/// integer sum there leaves exactly Σ w·x). Q8_0: w = q; Q4_0: w = nibble − 8; Awq4: w = nibble − z with the scale and
/// zero of the 128-value group the block lies in. Rows past the matrix are zero.
/// </summary>
internal static unsafe class WeightPanel
{
    public const int Rows = 8;

    /// <summary>Bytes of one packed 32-column block: 256 of values, 32 of scales, 32 of corrections.</summary>
    public const int BlockBytes = 320;

    public const int ScalesOffset = 256;
    public const int CorrectionsOffset = 288;

    private const int AwqGroupBytes = 68;

    /// <summary>Panel bytes of a matrix with <paramref name="columns"/> columns.</summary>
    public static long Bytes(int columns) => (long)(columns / 32) * BlockBytes;

    /// <summary>Packs rows [row0, row0 + validRows) of the [rows, columns] matrix at weights; validRows ≤ 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int blocks = columns / 32;
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        float* halfTable = HalfTable.Pointer;
        int* unpacked = stackalloc int[8];   // [8 groups] of 4 int8 values: one Q4_0 row's block
        var offset = Vector256.Create(unchecked((int)0x80808080)).AsByte();
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * BlockBytes);
            float* scales = (float*)(packed + ScalesOffset);
            for (int r = 0; r < Rows; r++)
            {
                int* values = null;
                if (r < validRows)
                {
                    byte* row = weights + ((row0 + r) * rowBytes);
                    if (type == TensorDType.Q8_0)
                    {
                        scales[r] = halfTable[*(ushort*)(row + (b * 34L))];
                        values = (int*)(row + (b * 34L) + 2);
                    }
                    else if (type == TensorDType.Q4_0)
                    {
                        scales[r] = halfTable[*(ushort*)(row + (b * 18L))];
                        values = Unpack(row + (b * 18L) + 2, 8, unpacked);
                    }
                    else
                    {
                        // Awq4: run b % 4 of its 128-value group (fp16 scale, zero, padding, 4 runs of 16 bytes).
                        byte* group = row + (b / 4 * AwqGroupBytes);
                        scales[r] = halfTable[*(ushort*)group];
                        values = Unpack(group + 4 + (16 * (b % 4)), group[2], unpacked);
                    }
                }
                else
                {
                    scales[r] = 0;
                }

                for (int g = 0; g < 8; g++)
                {
                    *(int*)(packed + (32 * g) + (4 * r)) = values == null ? 0 : values[g];
                }
            }

            // 128·Σw per row: vpdpbusd of the panel against bytes of 128, the same (exact) dot the tile runs.
            var sum = Vector256<int>.Zero;
            for (int g = 0; g < 8; g++)
            {
                sum = TS.DotQ8Biased(sum, offset, Vector256.Load((sbyte*)(packed + (32 * g))));
            }

            (-sum).Store((int*)(packed + CorrectionsOffset));
        }
    }

    /// <summary>
    /// 32 packed nibbles as int8 values nibble − <paramref name="zero"/> (element j &lt; 16 in byte j's low nibble, j + 16 in
    /// its high one: Q4_0's order, which AwqRepacker keeps for each 32-value run).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int* Unpack(byte* nibbles16, byte zero, int* destination)
    {
        var nibbles = Vector128.Load(nibbles16);
        var values = Vector256.Create(nibbles & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(nibbles, 4)) - Vector256.Create(zero);
        values.Store((byte*)destination);
        return destination;
    }
}
