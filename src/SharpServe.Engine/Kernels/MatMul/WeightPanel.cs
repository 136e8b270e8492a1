using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>Bytes of one Awq4 128-value group: fp16 scale, zero, padding, then 4 runs of 16 nibble bytes.</summary>
    internal const int AwqGroupBytes = 68;

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
        if (TS.Count == 16 && type == TensorDType.Q8_0)
        {
            PackQ8Wide<TS, TV>(weights + (row0 * rowBytes), rowBytes, validRows, blocks, panel);
            return;
        }

        float* halfTable = HalfTable.Pointer;
        var rows = stackalloc Vector256<int>[Rows];   // one block of each row: 8 groups of 4 int8 values
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * BlockBytes);
            float* scales = (float*)(packed + ScalesOffset);
            for (int r = 0; r < Rows; r++)
            {
                scales[r] = 0;
                rows[r] = default;
                if (r < validRows)
                {
                    var values = Block(type, weights + ((row0 + r) * rowBytes), b, halfTable, out scales[r], out byte zero);
                    rows[r] = (values - Vector256.Create(zero)).AsInt32();
                }
            }

            Interleave<TS, TV>(rows, packed, 32);
            StoreCorrections<TS, TV>(packed);
        }
    }

    /// <summary>
    /// Q8_0 on the 512-bit tier, 8 rows from <paramref name="first"/>: per block four vectors of two rows ([r | r + 4]) go
    /// through an 8 × 8 dword transpose (dword and qword unpacks, then 128-bit lane shuffles) straight into the panel, and
    /// the scales are gathered (rows past the matrix: see <see cref="LocateRows"/>). The
    /// per-row copies, the AVX2 transpose and the scalar scale loop had cost a 32-token step's Q8_0 matmuls about a third
    /// of their time.
    /// </summary>
    private static void PackQ8Wide<TS, TV>(byte* first, long rowBytes, int validRows, int blocks, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var rows = stackalloc nint[Rows];
        var rowOffsets = stackalloc int[Rows];
        LocateRows(first, rowBytes, validRows, Rows, rows, rowOffsets);
        var offsets = Vector256.Load(rowOffsets);
        var valid = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(validRows));
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * BlockBytes);
            int at = b * 34;   // the block's fp16 d, then its 32 quants

            // z_k: [row k | row k + 4], dword j = values 4j..4j + 3; per 128-bit lane, dword pairs then quads of rows.
            var z0 = TwoRows(rows, 0, at + 2);
            var z1 = TwoRows(rows, 1, at + 2);
            var z2 = TwoRows(rows, 2, at + 2);
            var z3 = TwoRows(rows, 3, at + 2);
            var t0 = Avx512F.UnpackLow(z0, z1).AsInt64();
            var t1 = Avx512F.UnpackHigh(z0, z1).AsInt64();
            var t2 = Avx512F.UnpackLow(z2, z3).AsInt64();
            var t3 = Avx512F.UnpackHigh(z2, z3).AsInt64();

            // u_j, lanes: group j of rows 0–3, group j + 4 of rows 0–3, group j of rows 4–7, group j + 4 of rows 4–7.
            var u0 = Avx512F.UnpackLow(t0, t2).AsInt32();
            var u1 = Avx512F.UnpackHigh(t0, t2).AsInt32();
            var u2 = Avx512F.UnpackLow(t1, t3).AsInt32();
            var u3 = Avx512F.UnpackHigh(t1, t3).AsInt32();
            Avx512F.Shuffle4x128(u0, u1, 0b10_00_10_00).Store((int*)packed);           // groups 0, 1
            Avx512F.Shuffle4x128(u2, u3, 0b10_00_10_00).Store((int*)(packed + 64));    // groups 2, 3
            Avx512F.Shuffle4x128(u0, u1, 0b11_01_11_01).Store((int*)(packed + 128));   // groups 4, 5
            Avx512F.Shuffle4x128(u2, u3, 0b11_01_11_01).Store((int*)(packed + 192));   // groups 6, 7

            HalfTable.GatherLow(Avx2.GatherVector256((int*)(first + at), offsets, 1), valid).Store((float*)(packed + ScalesOffset));
            StoreCorrections<TS, TV>(packed);
        }
    }

    /// <summary>
    /// Where the AVX-512 packs read a panel's <paramref name="count"/> rows: starts[r] and offsets[r] (bytes from
    /// <paramref name="first"/>, for gathers). Rows past the matrix point at the first one; the packs give them scale 0 and
    /// the tiles never store them.
    /// </summary>
    internal static void LocateRows(byte* first, long rowBytes, int validRows, int count, nint* starts, int* offsets)
    {
        for (int r = 0; r < count; r++)
        {
            offsets[r] = (int)((r < validRows ? r : 0) * rowBytes);
            starts[r] = (nint)(first + offsets[r]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> TwoRows(nint* rows, int r, int offset) =>
        Vector512.Create(Vector256.Load((int*)(rows[r] + offset)), Vector256.Load((int*)(rows[r + 4] + offset)));

    /// <summary>−128·Σw per row of a packed block: vpdpbusd of its values against bytes of 128, the same (exact) dot the tile runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreCorrections<TS, TV>(byte* packed)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var offset = Vector256.Create(unchecked((int)0x80808080)).AsByte();
        var sum = Vector256<int>.Zero;
        for (int g = 0; g < 8; g++)
        {
            sum = TS.DotQ8Biased(sum, offset, Vector256.Load((sbyte*)(packed + (32 * g))));
        }

        (-sum).Store((int*)(packed + CorrectionsOffset));
    }

    /// <summary>
    /// Block b of one row as 32 bytes (8 groups of 4) and its f32 scale: Q8_0's int8 quants (<paramref name="zero"/> 0), or
    /// Q4_0's and Awq4's unsigned nibbles with the zero they are taken from (8, or the 128-value group's z): w = nibble − zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Block(TensorDType type, byte* row, int b, float* halfTable, out float scale, out byte zero)
    {
        if (type == TensorDType.Q8_0)
        {
            scale = halfTable[*(ushort*)(row + (b * 34L))];
            zero = 0;
            return Vector256.Load(row + (b * 34L) + 2);
        }

        if (type == TensorDType.Q4_0)
        {
            scale = halfTable[*(ushort*)(row + (b * 18L))];
            zero = 8;
            return Unpack(row + (b * 18L) + 2);
        }

        // Awq4: run b % 4 of its 128-value group (fp16 scale, zero, padding, 4 runs of 16 bytes).
        byte* group = row + (b / 4 * AwqGroupBytes);
        scale = halfTable[*(ushort*)group];
        zero = group[2];
        return Unpack(group + 4 + (16 * (b % 4)));
    }

    /// <summary>
    /// 32 packed nibbles as bytes 0..15 (element j &lt; 16 in byte j's low nibble, j + 16 in its high one: Q4_0's order, which
    /// AwqRepacker keeps for each 32-value run).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unpack(byte* nibbles16)
    {
        var nibbles = Vector128.Load(nibbles16);
        return Vector256.Create(nibbles & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(nibbles, 4));
    }

    /// <summary>
    /// packed[g, r] = rows[r][g] (group g's 32 bytes at packed + g·<paramref name="groupStride"/>): an 8×8 transpose of 4-byte groups. With AVX2 in 24 shuffles and 8 stores (the per-group
    /// stores were a quarter of a 32-token step's panel GEMM); the scalar tier keeps the plain loop, so both are tested.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave<TS, TV>(Vector256<int>* rows, byte* packed, int groupStride)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (!Avx2.IsSupported || TS.Count == 1)
        {
            for (int r = 0; r < Rows; r++)
            {
                for (int g = 0; g < 8; g++)
                {
                    *(int*)(packed + (groupStride * g) + (4 * r)) = rows[r].GetElement(g);
                }
            }

            return;
        }

        // [r0g0 r1g0 r0g1 r1g1 | r0g4 r1g4 r0g5 r1g5] and the like: pairs of rows per group.
        var t0 = Avx2.UnpackLow(rows[0], rows[1]);
        var t1 = Avx2.UnpackHigh(rows[0], rows[1]);
        var t2 = Avx2.UnpackLow(rows[2], rows[3]);
        var t3 = Avx2.UnpackHigh(rows[2], rows[3]);
        var t4 = Avx2.UnpackLow(rows[4], rows[5]);
        var t5 = Avx2.UnpackHigh(rows[4], rows[5]);
        var t6 = Avx2.UnpackLow(rows[6], rows[7]);
        var t7 = Avx2.UnpackHigh(rows[6], rows[7]);

        // [r0..r3 of group g | r0..r3 of group g + 4].
        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32();
        var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();

        Avx2.Permute2x128(u0, u4, 0x20).Store((int*)packed);
        Avx2.Permute2x128(u1, u5, 0x20).Store((int*)(packed + groupStride));
        Avx2.Permute2x128(u2, u6, 0x20).Store((int*)(packed + (2 * groupStride)));
        Avx2.Permute2x128(u3, u7, 0x20).Store((int*)(packed + (3 * groupStride)));
        Avx2.Permute2x128(u0, u4, 0x31).Store((int*)(packed + (4 * groupStride)));
        Avx2.Permute2x128(u1, u5, 0x31).Store((int*)(packed + (5 * groupStride)));
        Avx2.Permute2x128(u2, u6, 0x31).Store((int*)(packed + (6 * groupStride)));
        Avx2.Permute2x128(u3, u7, 0x31).Store((int*)(packed + (7 * groupStride)));
    }
}
