using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Eight Q4_K or Q6_K weight rows unpacked and interleaved for <see cref="KPanelTile"/>, super-block after super-block:
/// the unsigned quants (Q4_K 0..15, Q6_K 0..63: vpdpbusd's unsigned operand, no offset) as [8 chunks of 32][8 groups of 4]
/// [8 rows][4 bytes] (one 32-byte load = 4 values of each row, <see cref="WeightPanel.Interleave{TS, TV}"/>), then per
/// sub-block an int32 vector of the 8 rows' scales (Q4_K: 8 sub-blocks of 32, the 6-bit sc; Q6_K: 16 of 16, the int8
/// scale), the rows' d as f32, and for Q4_K the rows' dmin as f32 and per sub-block an int32 vector of their 6-bit mins.
/// One layout serves both types (Q6_K leaves the min fields unused). Rows past the matrix are zero. The 512-bit tier packs
/// <see cref="KWidePanel"/>s (32 rows, int16 scale pairs) instead, from the same unpacking helpers.
/// </summary>
internal static unsafe class KWeightPanel
{
    public const int Rows = WeightPanel.Rows;

    private const int Size = TensorDTypeInfo.Q4_KBlockSize;

    public static int ScalesOffset => ScalesOffsetOf(Rows);

    public static int DOffset => DOffsetOf(Rows);

    public static int DMinOffset => DMinOffsetOf(Rows);

    public static int MinsOffset => MinsOffsetOf(Rows);

    /// <summary>Bytes of one packed super-block (256 columns × 8 rows).</summary>
    public static int SuperBlockBytes => SuperBlockBytesOf(Rows);

    /// <summary>Panel bytes of a matrix with <paramref name="columns"/> columns.</summary>
    public static long Bytes(int columns) => (long)(columns / Size) * SuperBlockBytes;

    /// <summary>Where a panel of <paramref name="rows"/> rows keeps [16 sub-blocks][rows] int32 scales: after 256 quant bytes a row.</summary>
    internal static int ScalesOffsetOf(int rows) => 256 * rows;

    /// <summary>[rows] f32 d.</summary>
    internal static int DOffsetOf(int rows) => ScalesOffsetOf(rows) + (64 * rows);

    /// <summary>[rows] f32 dmin (Q4_K).</summary>
    internal static int DMinOffsetOf(int rows) => DOffsetOf(rows) + (4 * rows);

    /// <summary>[8 sub-blocks][rows] int32 mins (Q4_K).</summary>
    internal static int MinsOffsetOf(int rows) => DMinOffsetOf(rows) + (4 * rows);

    internal static int SuperBlockBytesOf(int rows) => MinsOffsetOf(rows) + (32 * rows);

    /// <summary>Packs rows [row0, row0 + validRows) of the [rows, columns] Q4_K or Q6_K matrix at weights; validRows ≤ 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel)
        where TS : struct, ISimd<TV>
        where TV : struct
        => PackRows<TS, TV>(type, weights, columns, row0, validRows, panel, Rows, scalePairs: false);

    /// <summary>
    /// Packs a panel of <paramref name="rows"/> rows (8 here, 32 for <see cref="KWidePanel"/>): quants as [8 chunks][8 groups]
    /// [rows][4 bytes], interleaved 8 rows at a time; with <paramref name="scalePairs"/> each scale becomes the same int16
    /// twice in its int32 (vpmaddwd's operand).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRows<TS, TV>(TensorDType type, byte* weights, int columns, int row0, int validRows, byte* panel, int rows, bool scalePairs)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int superBlockBytes = SuperBlockBytesOf(rows);
        int blocks = columns / Size;
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        int blockBytes = (int)(rowBytes / blocks);
        bool q4k = type == TensorDType.Q4_K;
        var chunks = stackalloc Vector256<int>[8 * rows];        // [chunk][row]: 32 quants of one row
        var rowScales = stackalloc Vector256<int>[2 * rows];     // [8 sub-blocks at a time][row]: Q6_K's 16 scales in two
        var rowMins = stackalloc Vector256<int>[rows];           // [row]: Q4_K's 8 mins
        for (int b = 0; b < blocks; b++)
        {
            byte* packed = panel + ((long)b * superBlockBytes);
            float* d = (float*)(packed + DOffsetOf(rows));
            float* dMin = (float*)(packed + DMinOffsetOf(rows));
            for (int r = 0; r < rows; r++)
            {
                if (r >= validRows)
                {
                    for (int c = 0; c < 8; c++)
                    {
                        chunks[(rows * c) + r] = default;
                    }

                    rowScales[r] = rowScales[rows + r] = rowMins[r] = default;
                    d[r] = dMin[r] = 0;
                    continue;
                }

                byte* block = weights + ((row0 + r) * rowBytes) + ((long)b * blockBytes);
                if (q4k)
                {
                    UnpackQ4K(block, chunks + r, rows, rowScales + r, rowMins + r, d + r, dMin + r);
                }
                else
                {
                    UnpackQ6K(block, chunks + r, rows, rowScales + r, rows, d + r);
                }
            }

            // Chunk c's 8 groups × 8 rows at a time, transposed to [group][row] (scattering single ints was ~¼ of a tile's time),
            // and the same 8 × 8 transposes turn the rows' scale and min vectors into [sub-block][row] (one extract and store
            // per value had cost a 32-token step's K-quant matmuls about a tenth of their time).
            int* scales = (int*)(packed + ScalesOffsetOf(rows));
            for (int o = 0; o < rows; o += 8)
            {
                for (int c = 0; c < 8; c++)
                {
                    WeightPanel.Interleave<TS, TV>(chunks + (rows * c) + o, packed + (4 * rows * 8 * c) + (4 * o), 4 * rows);
                }

                WeightPanel.Interleave<TS, TV>(rowScales + o, (byte*)(scales + o), 4 * rows);
                if (q4k)
                {
                    WeightPanel.Interleave<TS, TV>(rowMins + o, packed + MinsOffsetOf(rows) + (4 * o), 4 * rows);
                }
                else
                {
                    WeightPanel.Interleave<TS, TV>(rowScales + rows + o, (byte*)(scales + (8 * rows) + o), 4 * rows);
                }
            }

            // sc → (sc, sc) as int16: vpmaddwd then gives sc·(pair0 + pair1) = sc·s_sub exactly.
            for (int i = 0; scalePairs && i < (q4k ? 8 : 16) * rows; i += 8)
            {
                var scale = Vector256.Load(scales + i);
                ((scale & Vector256.Create(0xFFFF)) | (scale << 16)).Store(scales + i);
            }
        }
    }

    /// <summary>
    /// One Q4_K row's super-block: its 32-value chunk c (values 32c.., in order) to chunks[chunkStride·c], its 8 sub-block
    /// scales and mins as int32 vectors, d and dmin to *d and *dmin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackQ4K(byte* block, Vector256<int>* chunks, int chunkStride, Vector256<int>* scales, Vector256<int>* mins, float* d, float* dmin)
    {
        // 64-value group g: byte j holds chunk 2g's element j in its low nibble and chunk 2g + 1's in its high one.
        var low = Vector256.Create((byte)0x0F);
        for (int g = 0; g < 4; g++)
        {
            var nibbles = Vector256.Load(block + 16 + (32 * g));
            chunks[chunkStride * 2 * g] = (nibbles & low).AsInt32();
            chunks[chunkStride * ((2 * g) + 1)] = ((nibbles.AsUInt16() >> 4).AsByte() & low).AsInt32();
        }

        var (blockScales, blockMins) = Q4KRows.ScalesAndMins(block + 4);
        *scales = Vector256.WidenLower(blockScales.ToVector256Unsafe());
        *mins = blockMins;
        float* halfTable = HalfTable.Pointer;
        *d = halfTable[*(ushort*)block];
        *dmin = halfTable[*(ushort*)(block + 2)];
    }

    /// <summary>
    /// One Q6_K row's super-block (layout in <see cref="Q6Rows"/>): chunk c to chunks[chunkStride·c], the scales of sub-blocks
    /// 0–7 and 8–15 as int32 vectors to scales[0] and scales[halfStride], d to *d.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackQ6K(byte* block, Vector256<int>* chunks, int chunkStride, Vector256<int>* scales, int halfStride, float* d)
    {
        for (int h = 0; h < 2; h++)
        {
            var qlLow = Vector256.Load(block + (64 * h)).AsUInt16();
            var qlHigh = Vector256.Load(block + (64 * h) + 32).AsUInt16();
            var qh = Vector256.Load(block + 128 + (32 * h)).AsUInt16();
            int c = 4 * h;
            chunks[chunkStride * c] = Q6Rows.Quants(qlLow, qh << 4).AsInt32();
            chunks[chunkStride * (c + 1)] = Q6Rows.Quants(qlHigh, qh << 2).AsInt32();
            chunks[chunkStride * (c + 2)] = Q6Rows.Quants(qlLow >> 4, qh).AsInt32();
            chunks[chunkStride * (c + 3)] = Q6Rows.Quants(qlHigh >> 4, qh >> 2).AsInt32();
        }

        var int8Scales = Vector128.Load((sbyte*)block + 192);
        scales[0] = Vector256.WidenLower(Vector128.WidenLower(int8Scales).ToVector256Unsafe());
        scales[halfStride] = Vector256.WidenLower(Vector128.WidenUpper(int8Scales).ToVector256Unsafe());
        *d = HalfTable.Pointer[*(ushort*)(block + 208)];
    }
}
