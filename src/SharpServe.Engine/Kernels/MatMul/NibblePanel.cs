using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// 32 Q4_0 or Awq4 weight rows kept as unsigned nibbles and interleaved for <see cref="NibbleTile"/>, block after block:
/// per 4-value group g two 64-byte vectors (rows 0–15, then 16–31), each 16 rows × 4 nibble bytes — vpmaddubsw's unsigned
/// operand, whose adjacent-pair sums land in two int16 lanes per row — then the rows' f32 scales d_w and, per row, −zero
/// in both of its int16 lanes (Q4_0: −8; Awq4: −z of the 128-value group), from which the tile starts each block's sums
/// so that they end at Σ (nibble − zero)·x. Rows past the matrix have scale 0. Packed with AVX-512 only: the nibble panels run on
/// <see cref="PanelGemmJob{TS, TV}.WideTier"/> alone.
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

    /// <summary>
    /// Packs rows [row0, row0 + validRows) of the [rows, columns] Q4_0 or Awq4 matrix at weights; validRows ≤ 32.
    /// Per block and 16-row half, the rows' 16 nibble bytes are four dwords each (dword k: values 4k..4k + 3 in the low
    /// nibbles, 16 + 4k.. in the high ones), so groups k and k + 4 of all 16 rows are one 16 × 4 dword transpose away:
    /// four 512-bit vectors of four rows each, two rounds of dword and qword unpacks, then a mask and a shift. It replaced
    /// per-row unpacks into 8-row AVX2 transposes and a scalar scale loop, which at 32 tokens (a batched-decode step) had cost
    /// ~40 % of the matmul: `kernels --only gemm --tokens 32 --dtypes Q4_0 --quick --threads 2`, medians of 3 alternating
    /// runs, q/o 0.41 → 0.35 ms, k/v 0.08 → 0.06, gate/up 2.08 → 1.71, down 1.72 → 1.44; batched 32 against llama.cpp in
    /// the same runs ~1.2× → ~1.45× (q4_0), ~1.0× → ~1.3× (awq), 2026-12-07.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
    {
        int blocks = columns / 32;
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        var rows = stackalloc nint[Rows];
        var rowOffsets = stackalloc int[Rows];
        WeightPanel.LocateRows(weights + (row0 * rowBytes), rowBytes, validRows, Rows, rows, rowOffsets);

        var low = Vector512.Create((byte)0x0F);
        bool awq = type == TensorDType.Awq4;
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * BlockBytes);
            int scaleOffset = awq ? b / 4 * WeightPanel.AwqGroupBytes : b * 18;   // Awq4: its 128-value group's (fp16 scale, zero, padding, 4 runs of 16 bytes)
            int nibbleOffset = awq ? scaleOffset + 4 + (16 * (b % 4)) : scaleOffset + 2;
            Transpose(rows, nibbleOffset, low, packed);
            Transpose(rows + 16, nibbleOffset, low, packed + 64);
            ScalesAndZeros((int*)((byte*)rows[0] + scaleOffset), rowOffsets, validRows, awq, packed);
        }
    }

    /// <summary>
    /// Each row's f32 scale and −zero (in both int16 halves of an int32; 0 past the matrix) from the dword at its scale:
    /// an fp16 d, then (Awq4) the zero byte. Gathered 8 rows at a time: one load, lookup and store per row had cost the
    /// pack about as much as its nibbles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalesAndZeros(int* rowZeroScale, int* rowOffsets, int validRows, bool awq, byte* packed)
    {
        float* scales = (float*)(packed + ScalesOffset);
        int* zeros = (int*)(packed + ZerosOffset);
        for (int r = 0; r < Rows; r += 8)
        {
            var valid = Vector256.LessThan(Vector256<int>.Indices + Vector256.Create(r), Vector256.Create(validRows));
            var dwords = Avx2.GatherVector256(rowZeroScale, Vector256.Load(rowOffsets + r), 1);
            HalfTable.GatherLow(dwords, valid).Store(scales + r);
            var zero = awq ? (dwords >>> 16) & Vector256.Create(0xFF) : Vector256.Create(8);
            var negated = -zero & Vector256.Create(0xFFFF);
            ((negated | (negated << 16)) & valid).Store(zeros + r);
        }
    }

    /// <summary>
    /// The 16 rows at <paramref name="rows"/>: group k (and k + 4) of row i to bytes 4i..4i + 3 of group k's (k + 4's)
    /// vector at <paramref name="packed"/> + 128·k (<paramref name="low"/>: 0x0F in every byte).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(nint* rows, int offset, Vector512<byte> low, byte* packed)
    {
        // z_j, 128-bit lane l: row j + 4l's 16 bytes.
        var z0 = FourRows(rows, 0, offset);
        var z1 = FourRows(rows, 1, offset);
        var z2 = FourRows(rows, 2, offset);
        var z3 = FourRows(rows, 3, offset);

        // Per lane l: [z0.d0 z1.d0 z0.d1 z1.d1], [z0.d2 z1.d2 z0.d3 z1.d3], the same of z2, z3 ...
        var t0 = Avx512F.UnpackLow(z0, z1).AsUInt64();
        var t1 = Avx512F.UnpackHigh(z0, z1).AsUInt64();
        var t2 = Avx512F.UnpackLow(z2, z3).AsUInt64();
        var t3 = Avx512F.UnpackHigh(z2, z3).AsUInt64();

        // ... then dword k of rows 4l .. 4l + 3 in lane l: dword i of d_k is row i's.
        Store(Avx512F.UnpackLow(t0, t2).AsByte(), low, packed);
        Store(Avx512F.UnpackHigh(t0, t2).AsByte(), low, packed + GroupBytes);
        Store(Avx512F.UnpackLow(t1, t3).AsByte(), low, packed + (2 * GroupBytes));
        Store(Avx512F.UnpackHigh(t1, t3).AsByte(), low, packed + (3 * GroupBytes));
    }

    /// <summary>Groups k (low nibbles) and k + 4 (high nibbles) of one d_k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<byte> dword, Vector512<byte> low, byte* group)
    {
        (dword & low).Store(group);
        ((dword.AsUInt16() >> 4).AsByte() & low).Store(group + (4 * GroupBytes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> FourRows(nint* rows, int j, int offset) => Vector512.Create(
        Vector256.Create(Vector128.Load((uint*)(rows[j] + offset)), Vector128.Load((uint*)(rows[j + 4] + offset))),
        Vector256.Create(Vector128.Load((uint*)(rows[j + 8] + offset)), Vector128.Load((uint*)(rows[j + 12] + offset))));
}
