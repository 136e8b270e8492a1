using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// 32 Q4_0 or Awq4 weight rows kept as unsigned nibbles and interleaved for <see cref="NibbleTile"/>, block after block:
/// per 4-value group g two 64-byte vectors (rows 0–15, then 16–31), each 16 rows × 4 nibble bytes — vpmaddubsw's unsigned
/// operand, whose adjacent-pair sums land in two int16 lanes per row — then the rows' f32 scales d_w and, per row, −zero
/// in both of its int16 lanes (Q4_0: −8; Awq4: −z of the 128-value group), from which the tile starts each block's sums
/// so that they end at Σ (nibble − zero)·x. Rows past the matrix are zero.
/// </summary>
internal static unsafe class NibblePanel
{
    public const int Rows = 32;

    /// <summary>Bytes of one packed 32-column block: 1024 of nibbles, 128 of scales, 128 of negated zeros.</summary>
    public const int BlockBytes = 1280;

    /// <summary>Bytes from one 4-value group's two vectors to the next group's.</summary>
    public const int GroupBytes = 128;

    public const int ScalesOffset = 1024;
    public const int ZerosOffset = 1152;

    /// <summary>Panel bytes of a matrix with <paramref name="columns"/> columns.</summary>
    public static long Bytes(int columns) => (long)(columns / 32) * BlockBytes;

    /// <summary>Packs rows [row0, row0 + validRows) of the [rows, columns] Q4_0 or Awq4 matrix at weights; validRows ≤ 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int blocks = columns / 32;
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        float* halfTable = HalfTable.Pointer;
        var rows = stackalloc Vector256<int>[WeightPanel.Rows];   // one block of 8 rows: 8 groups of 4 nibbles each
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * BlockBytes);
            float* scales = (float*)(packed + ScalesOffset);
            short* zeros = (short*)(packed + ZerosOffset);
            for (int r8 = 0; r8 < Rows; r8 += WeightPanel.Rows)
            {
                for (int r = 0; r < WeightPanel.Rows; r++)
                {
                    int row = r8 + r;
                    rows[r] = default;
                    scales[row] = 0;
                    byte zero = 0;
                    if (row < validRows)
                    {
                        rows[r] = WeightPanel.Block(type, weights + ((row0 + row) * rowBytes), b, halfTable, out scales[row], out zero).AsInt32();
                    }

                    zeros[2 * row] = zeros[(2 * row) + 1] = (short)-zero;
                }

                // Rows 8h..8h+7 of the 16-row half h / 2: the second 32 bytes of each group's 64 for the odd eighths.
                WeightPanel.Interleave<TS, TV>(rows, packed + (64 * (r8 / 16)) + (32 * (r8 / 8 % 2)), GroupBytes);
            }
        }
    }
}
