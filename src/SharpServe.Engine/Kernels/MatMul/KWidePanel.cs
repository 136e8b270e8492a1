using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Thirty-two Q4_K or Q6_K weight rows unpacked for <see cref="KWideTile"/> (the 512-bit tier's K-quant panel), super-block
/// after super-block: the unsigned quants (Q4_K 0..15, Q6_K 0..63: vpmaddubsw's unsigned operand) as [64 groups of 4 values]
/// [32 rows][4 bytes], so one 64-byte load is 4 values of 16 rows (a half); then per sub-block the 32 rows' scales, each as
/// the same int16 twice in one int32 (vpmaddwd's operand: it multiplies both int16 pair sums of a row by the row's scale), the
/// rows' d as f32, and for Q4_K the rows' dmin as f32 and per sub-block their 6-bit mins as int32. Rows past the matrix are zero.
/// Same fields as <see cref="KWeightPanel"/>, four times the rows: 45 bytes a column (~400 KiB for down_proj's 8960, in L2).
/// Packing is ~¼ of the GEMM's time at 128 tokens with one int store per 4 values; 8×8 transposes cut the whole by ~10–15 %.
/// </summary>
internal static unsafe class KWidePanel
{
    public const int Rows = 32;

    public const int ScalesOffset = 8192;   // [16 sub-blocks][32 rows] int32 = two int16
    public const int DOffset = 10240;       // [32 rows] f32
    public const int DMinOffset = 10368;    // [32 rows] f32, Q4_K
    public const int MinsOffset = 10496;    // [8 sub-blocks][32 rows] int32, Q4_K

    /// <summary>Bytes of one packed super-block (256 columns × 32 rows).</summary>
    public const int SuperBlockBytes = 11520;

    private const int Size = TensorDTypeInfo.Q4_KBlockSize;

    /// <summary>Panel bytes of a matrix with <paramref name="columns"/> columns.</summary>
    public static long Bytes(int columns) => (long)(columns / Size) * SuperBlockBytes;

    /// <summary>Packs rows [row0, row0 + validRows) of the [rows, columns] Q4_K or Q6_K matrix at weights; validRows ≤ 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int blocks = columns / Size;
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        int blockBytes = (int)(rowBytes / blocks);
        var chunks = stackalloc Vector256<int>[8 * Rows];   // [chunk][row]: 32 quants of one row
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * SuperBlockBytes);
            new Span<byte>(packed + ScalesOffset, SuperBlockBytes - ScalesOffset).Clear();
            int* scales = (int*)(packed + ScalesOffset);
            for (int r = 0; r < Rows; r++)
            {
                if (r >= validRows)
                {
                    for (int c = 0; c < 8; c++)
                    {
                        chunks[(Rows * c) + r] = default;
                    }

                    continue;
                }

                byte* block = weights + ((row0 + r) * rowBytes) + ((long)b * blockBytes);
                float* d = (float*)(packed + DOffset) + r;
                if (type == TensorDType.Q4_K)
                {
                    KWeightPanel.UnpackQ4K(block, chunks + r, Rows, scales + r, (int*)(packed + MinsOffset) + r, Rows, d, (float*)(packed + DMinOffset) + r);
                }
                else
                {
                    KWeightPanel.UnpackQ6K(block, chunks + r, Rows, scales + r, Rows, d);
                }
            }

            // Chunk c's 8 groups × 8 rows at a time, transposed to [group][row] (scattering single ints was ~¼ of a tile's time).
            for (int c = 0; c < 8; c++)
            {
                for (int o = 0; o < Rows; o += 8)
                {
                    WeightPanel.Interleave<TS, TV>(chunks + (Rows * c) + o, packed + (4 * Rows * 8 * c) + (4 * o), 4 * Rows);
                }
            }

            // sc → (sc, sc) as int16: vpmaddwd then gives sc·(pair0 + pair1) = sc·s_sub exactly.
            for (int i = 0; i < 16 * Rows; i += 8)
            {
                var scale = Vector256.Load(scales + i);
                ((scale & Vector256.Create(0xFFFF)) | (scale << 16)).Store(scales + i);
            }
        }
    }
}
