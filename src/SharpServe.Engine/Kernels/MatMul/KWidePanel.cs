using System.Runtime.CompilerServices;
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

    public static int ScalesOffset => KWeightPanel.ScalesOffsetOf(Rows);   // [16 sub-blocks][32 rows] int32 = two int16

    public static int DOffset => KWeightPanel.DOffsetOf(Rows);             // [32 rows] f32

    public static int DMinOffset => KWeightPanel.DMinOffsetOf(Rows);       // [32 rows] f32, Q4_K

    public static int MinsOffset => KWeightPanel.MinsOffsetOf(Rows);       // [8 sub-blocks][32 rows] int32, Q4_K

    /// <summary>Bytes of one packed super-block (256 columns × 32 rows).</summary>
    public static int SuperBlockBytes => KWeightPanel.SuperBlockBytesOf(Rows);

    /// <summary>Panel bytes of a matrix with <paramref name="columns"/> columns.</summary>
    public static long Bytes(int columns) => (long)(columns / TensorDTypeInfo.Q4_KBlockSize) * SuperBlockBytes;

    /// <summary>Packs rows [row0, row0 + validRows) of the [rows, columns] Q4_K or Q6_K matrix at weights; validRows ≤ 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
        => KWeightPanel.PackRows<TS, TV>(type, weights, columns, row0, validRows, panel, Rows, scalePairs: true);
}
