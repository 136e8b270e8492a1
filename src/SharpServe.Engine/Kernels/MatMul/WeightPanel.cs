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
        float* halfTable = HalfTable.Pointer;
        var offset = Vector256.Create(unchecked((int)0x80808080)).AsByte();
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
