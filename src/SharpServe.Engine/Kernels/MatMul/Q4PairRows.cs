using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Single-token Q4_0 GEMV on AVX-512 (with VBMI and GFNI): the decode path of <see cref="BiasedRows"/>, rebuilt so that one 512-bit
/// register carries two rows, and each row's 8 lanes stay in ggml_vec_dot's order (per block in order,
/// acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then hsum_float_8), so the results are the same bits.
/// Eight rows per tile (four row pairs, four independent fma chains) walk their blocks two at a time: per row pair one
/// 64-byte load per row covers both blocks, one vpermi2b per block lays its nibbles out as [A, A, B, B] (16 bytes
/// each), one gf2p8affineqb makes them [A low | A high | B low | B high] nibbles against the block's activations in both
/// halves; vpmaddubsw and vpmaddwd by 1 form the exact Σ q·x lanes (q unsigned, 0–15: no saturation), and the
/// −8·Σx correction (the quantizer's −128·Σx shifted right by 4, per block, shared by the rows) makes them Σ (q − 8)·x.
/// The four fp16 scales of a pair's two blocks come out of the same loads by one vpermi2w and the bit-shift
/// conversion of <see cref="Simd512.F16EvenUnbiased"/>; multiplying by x.d·2^112 restores the exponent and rounds
/// exactly as fp32(w.d)·fp32(x.d) does (only inf/NaN scales, which no quantizer writes, would differ).
/// That is about 6 vector instructions per row and block in the JIT's output, where the 256-bit tile of
/// <see cref="BiasedRows"/> unpacks each row's block in 128-bit halves and looks its scale up and broadcasts it per row:
/// in cache on one thread (thread CPU time, medians of 3 interleaved runs) Q4_0 went from ~16 to ~22 GB/s (Q8_0: ~29).
/// <see cref="AwqPairRows"/> runs Awq4 on the same tiles and shares <see cref="Quants"/>, <see cref="Dot"/> and <see cref="Nibbles"/>.
/// </summary>
internal static unsafe class Q4PairRows
{
    private const int BlockBytes = 18;

    /// <summary>2^112: the exponent rebias <see cref="Simd512.F16EvenUnbiased"/> leaves to the caller.</summary>
    internal const float HalfRebias = 5.192296858534828e33f;

    /// <summary>
    /// Rows per tile: four 512-bit accumulators, each holding a pair of rows' 8 lanes. Eight rather than four rows share
    /// each step's activation shuffles and scales among more rows: 6–13 % faster in cache (one thread, thread CPU time,
    /// medians of 7 interleaved runs).
    /// </summary>
    private const int TileRows = 8;

    public static bool IsSupported => Simd512.IsSupported && Avx512Vbmi.IsSupported && Gfni.V512.IsSupported;

    /// <summary>y[t0, r] for r in [rowStart, rowEnd), one token (quantized by <see cref="QuantizeJob{TS, TV}"/>).</summary>
    public static void Run<TS, TV>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        // A step loads 64 bytes of each row where it needs 36: past a row's end they are the next row's, and only the
        // matrix's last row has none, so only the tile that holds it masks its loads. Plain loads elsewhere: in cache on
        // one thread gate/up went from 26.1 to 28.3 GB/s, q/o from 25.9 to 28.1 (thread CPU time, medians of 7 interleaved runs, 2026-12-07).
        int maskedFrom = rowEnd == op.Rows ? rowStart + ((rowEnd - 1 - rowStart) / TileRows * TileRows) : rowEnd;
        Tiles<TS, TV, PlainLoads>(op, t0, rowStart, maskedFrom);
        Tiles<TS, TV, MaskedLoads>(op, t0, maskedFrom, rowEnd);
    }

    /// <summary>The tiles of rows [rowStart, rowEnd), the last one short if it must be; TL: how a step loads its weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<TS, TV, TL>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TL : struct, IWeightLoads
    {
        int columns = op.Columns;
        int blocks = columns / 32;
        long rowBytes = (long)blocks * BlockBytes;
        sbyte* q = op.XQuants + ((long)t0 * columns);          // [blocks, 32]
        int* c = op.XCorrections + ((long)t0 * blocks * 8);    // [blocks, 8]
        float* xd = op.XScales + ((long)t0 * blocks);          // [blocks]
        // Bytes 0–35 of a load: two blocks (masked loads keep only those).
        var twoBlocks = FirstBytes(2 * BlockBytes);
        var oneBlock = FirstBytes(BlockBytes);
        for (int r = rowStart; r < rowEnd; r += TileRows)
        {
            // A short last tile repeats its last row: the copies cost a little compute and are never stored.
            int last = rowEnd - 1;
            byte* w0 = op.Weights + (r * rowBytes);
            byte* w1 = op.Weights + (Math.Min(r + 1, last) * rowBytes);
            byte* w2 = op.Weights + (Math.Min(r + 2, last) * rowBytes);
            byte* w3 = op.Weights + (Math.Min(r + 3, last) * rowBytes);
            byte* w4 = op.Weights + (Math.Min(r + 4, last) * rowBytes);
            byte* w5 = op.Weights + (Math.Min(r + 5, last) * rowBytes);
            byte* w6 = op.Weights + (Math.Min(r + 6, last) * rowBytes);
            byte* w7 = op.Weights + (Math.Min(r + 7, last) * rowBytes);
            Vector512<float> rows01 = default, rows23 = default, rows45 = default, rows67 = default;  // [row r lanes | row r + 1 lanes], ...
            // The tile's rows are adjacent: one linear stream of 8·18 bytes per block, prefetched a whole tile ahead.
            byte* ahead = w0 + Math.Max(TileRows * rowBytes, GemvRows.PrefetchDistance);
            int b = 0;
            for (; b + 2 <= blocks; b += 2, ahead += 2 * TileRows * BlockBytes)
            {
                // 288 bytes a step, more than one PrefetchBlock covers: two halves, every line of the stream.
                GemvRows.PrefetchBlock<TS, TV>(ahead, TileRows * BlockBytes);
                GemvRows.PrefetchBlock<TS, TV>(ahead + (TileRows * BlockBytes), TileRows * BlockBytes);
                var x = Vector512.Load((int*)(q + (32 * b)));                       // [x_b | x_b+1], as int32 for vshufi32x4
                var correction = Vector512.ShiftRightArithmetic(Vector512.Load(c + (8 * b)), 4);  // −8·Σx, [b | b + 1]
                var x0 = Avx512F.Shuffle4x128(x, x, 0b01_00_01_00).AsSByte();                  // [x_b | x_b]
                var x1 = Avx512F.Shuffle4x128(x, x, 0b11_10_11_10).AsSByte();                  // [x_b+1 | x_b+1]
                var correction0 = Avx512F.Shuffle4x128(correction, correction, 0b01_00_01_00);
                var correction1 = Avx512F.Shuffle4x128(correction, correction, 0b11_10_11_10);
                var scale0 = Vector512.Create(xd[b]) * HalfRebias;
                var scale1 = Vector512.Create(xd[b + 1]) * HalfRebias;
                long offset = (long)b * BlockBytes;
                rows01 = Pair(TL.Load(w0 + offset, twoBlocks), TL.Load(w1 + offset, twoBlocks), x0, x1, correction0, correction1, scale0, scale1, rows01, both: true);
                rows23 = Pair(TL.Load(w2 + offset, twoBlocks), TL.Load(w3 + offset, twoBlocks), x0, x1, correction0, correction1, scale0, scale1, rows23, both: true);
                rows45 = Pair(TL.Load(w4 + offset, twoBlocks), TL.Load(w5 + offset, twoBlocks), x0, x1, correction0, correction1, scale0, scale1, rows45, both: true);
                rows67 = Pair(TL.Load(w6 + offset, twoBlocks), TL.Load(w7 + offset, twoBlocks), x0, x1, correction0, correction1, scale0, scale1, rows67, both: true);
            }

            if (b < blocks)
            {
                // An odd last block: the same step with only its first block accumulated.
                var x = Vector256.Load((int*)(q + (32 * b))).ToVector512Unsafe();
                var correction = Vector512.ShiftRightArithmetic(Vector256.Load(c + (8 * b)).ToVector512Unsafe(), 4);
                var x0 = Avx512F.Shuffle4x128(x, x, 0b01_00_01_00).AsSByte();
                var correction0 = Avx512F.Shuffle4x128(correction, correction, 0b01_00_01_00);
                var scale0 = Vector512.Create(xd[b]) * HalfRebias;
                long offset = (long)b * BlockBytes;
                rows01 = Pair(TL.Load(w0 + offset, oneBlock), TL.Load(w1 + offset, oneBlock), x0, default, correction0, default, scale0, default, rows01, both: false);
                rows23 = Pair(TL.Load(w2 + offset, oneBlock), TL.Load(w3 + offset, oneBlock), x0, default, correction0, default, scale0, default, rows23, both: false);
                rows45 = Pair(TL.Load(w4 + offset, oneBlock), TL.Load(w5 + offset, oneBlock), x0, default, correction0, default, scale0, default, rows45, both: false);
                rows67 = Pair(TL.Load(w6 + offset, oneBlock), TL.Load(w7 + offset, oneBlock), x0, default, correction0, default, scale0, default, rows67, both: false);
            }

            StoreTile(op, t0, r, rowEnd, rows01, rows23, rows45, rows67);
        }
    }

    /// <summary>
    /// The tile's eight rows from its four row-pair accumulators ([row r | row r + 1], ...), each row's 8 lanes summed as
    /// hsum_float_8 (+ bias); rows past <paramref name="rowEnd"/> (a short last tile's repeated rows) are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTile(
        in GemvOperands op, int t0, int r, int rowEnd, Vector512<float> rows01, Vector512<float> rows23, Vector512<float> rows45, Vector512<float> rows67)
    {
        GgmlQ8.StoreTile<OneToken, FourTokens>(
            op, t0, r, rowEnd,
            rows01.GetLower(), default, default, default,
            rows01.GetUpper(), default, default, default,
            rows23.GetLower(), default, default, default,
            rows23.GetUpper(), default, default, default);
        if (r + 4 < rowEnd)
        {
            GgmlQ8.StoreTile<OneToken, FourTokens>(
                op, t0, r + 4, rowEnd,
                rows45.GetLower(), default, default, default,
                rows45.GetUpper(), default, default, default,
                rows67.GetLower(), default, default, default,
                rows67.GetUpper(), default, default, default);
        }
    }

    /// <summary>
    /// Blocks b and b + 1 of rows A and B (each load: the two blocks from byte 0) into acc = [A lanes | B lanes]:
    /// block b first, then block b + 1 (when <paramref name="both"/>), each acc = fma(w.d·x.d, lanes, acc). Per block,
    /// shared by the tile's row pairs: its activations and corrections in both halves, and x.d·2^112 (scale).
    /// Plain arguments, not a struct: an <c>in</c> struct kept the whole step in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(
        Vector512<byte> a, Vector512<byte> b, Vector512<sbyte> x0, Vector512<sbyte> x1, Vector512<int> correction0, Vector512<int> correction1,
        Vector512<float> scale0, Vector512<float> scale1, Vector512<float> acc, bool both)
    {
        // int32 lane i < 8: A's scales of blocks b (low half) and b + 1 (high); lanes 8–15 B's.
        var halves = Avx512BW.PermuteVar32x16x2(a.AsUInt16(), ScaleIndices, b.AsUInt16()).AsSingle();
        acc = Vector512.FusedMultiplyAdd(
            Simd512.F16EvenUnbiased(halves) * scale0, Vector512.ConvertToSingle(Lanes(a, b, Nibbles(2), x0, correction0)), acc);
        if (both)
        {
            acc = Vector512.FusedMultiplyAdd(
                Simd512.F16OddUnbiased(halves) * scale1, Vector512.ConvertToSingle(Lanes(a, b, Nibbles(2 + BlockBytes), x1, correction1)), acc);
        }

        return acc;
    }

    /// <summary>One block of rows A and B: 8 exact int32 lanes each, Σ (q − 8)·x over 4 values, as [A | B].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Lanes(Vector512<byte> a, Vector512<byte> b, Vector512<byte> nibbleIndices, Vector512<sbyte> x, Vector512<int> correction) =>
        Dot(Quants(a, b, nibbleIndices), x) + correction;

    /// <summary>
    /// 16 bytes of nibbles of rows A and B (where <paramref name="nibbleIndices"/> = <see cref="Nibbles"/> points) as their
    /// 32 unsigned 4-bit values each, in element order: [A 0–15 | A 16–31 | B 0–15 | B 16–31].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<byte> Quants(Vector512<byte> a, Vector512<byte> b, Vector512<byte> nibbleIndices)
    {
        // [A's 16 bytes, again, B's, again], then the second copy of each shifted down a nibble: elements 0–15, 16–31.
        var packed = Avx512Vbmi.PermuteVar64x8x2(a, nibbleIndices, b);
        return Gfni.V512.GaloisFieldAffineTransform(packed, NibbleMatrices, 0);
    }

    /// <summary>
    /// Σ u·x per 4 values, exact in int32 (ggml's 8 lanes per row, [A | B]): vpmaddubsw cannot saturate while the unsigned
    /// weights stay below 32 (two products of at most 31·128).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> Dot(Vector512<byte> weights, Vector512<sbyte> x) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(weights, x), Vector512.Create((short)1));

    /// <summary>
    /// vpermi2b indices: bytes 0–15 and 16–31 take A's bytes offset .. offset + 15, bytes 32–47 and 48–63 B's (index + 64).
    /// Built from ulong constants so that the JIT folds it into one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<byte> Nibbles(int offset)
    {
        ulong low = 0x0706050403020100UL + ((ulong)offset * 0x0101010101010101UL);
        ulong high = low + 0x0808080808080808UL;
        ulong b = 0x4040404040404040UL;
        return Vector512.Create(low, high, low, high, low + b, high + b, low + b, high + b).AsByte();
    }

    /// <summary>
    /// gf2p8affineqb bit matrices, one per qword: the first copy of each row's 16 bytes keeps its low nibbles (x &amp; 15),
    /// the second takes its high ones (x &gt;&gt; 4) — one instruction where vpsrlvw and vpand took two. Byte 7 − i of a
    /// matrix selects the source bits of result bit i.
    /// </summary>
    private static Vector512<byte> NibbleMatrices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            const ulong low = 0x0102040800000000UL, high = 0x1020408000000000UL;
            return Vector512.Create(low, low, high, high, low, low, high, high).AsByte();
        }
    }

    /// <summary>vpermi2w indices: lanes 0–7 A's words 0 (block b's d) and 9 (block b + 1's), lanes 8–15 B's (index + 32).</summary>
    private static Vector512<ushort> ScaleIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            const ulong a = 0x0009_0000_0009_0000UL, b = 0x0029_0020_0029_0020UL;
            return Vector512.Create(a, a, a, a, b, b, b, b).AsUInt16();
        }
    }

    /// <summary>MaskLoad's mask: the high bit set in bytes 0 .. count − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> FirstBytes(int count) =>
        Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)count));

    /// <summary>How a step reads a row's bytes: <paramref name="firstBytes"/> marks the ones it uses.</summary>
    private interface IWeightLoads
    {
        static abstract Vector512<byte> Load(byte* source, Vector512<byte> firstBytes);
    }

    /// <summary>Only the marked bytes (the tile with the matrix's last row, which has nothing after it).</summary>
    private readonly struct MaskedLoads : IWeightLoads
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> Load(byte* source, Vector512<byte> firstBytes) => Avx512BW.MaskLoad(source, firstBytes, default);
    }

    /// <summary>All 64 bytes; the ones past the marked bytes belong to the next row and are never used.</summary>
    private readonly struct PlainLoads : IWeightLoads
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> Load(byte* source, Vector512<byte> firstBytes) => Vector512.Load(source);
    }
}
