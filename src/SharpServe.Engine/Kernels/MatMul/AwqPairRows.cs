using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Single-token Awq4 GEMV on AVX-512 (with VBMI and GFNI): the decode path of <see cref="BiasedRows"/> with
/// <see cref="AwqRows"/>, laid out like <see cref="Q4PairRows"/> (two rows per 512-bit register, eight rows a tile,
/// its nibble and dot helpers) and bit-identical to the four-row tile: per 32-value run 8 exact int32 lanes of
/// Σ (q − z)·x, acc = fma(fp32(s)·fp32(x.d), lanes, acc) run after run, then hsum_float_8.
/// A step is one 68-byte group (4 runs) per row: a 64-byte load from byte 4 holds all four runs, a dword broadcast the
/// header (scale, zero), so no load is masked and none reaches past the group. The zero, unlike Q4_0's 8, differs per
/// row and group: each row half's nibbles get 16 − z added (one vpaddb, values in [1, 31], so vpmaddubsw stays exact) and
/// the −16·Σx that leaves is the quantizer's −128·Σx shifted right by 3, shared by the rows like Q4_0's shift by 4.
/// The per-step activations in both halves (<see cref="Both"/>) and the header mask (<see cref="LowHalf"/>) are written so
/// that the JIT emits one vinserti64x4 and one constant: built from two 256-bit halves they cost ~20 extra instructions a
/// step, and in cache on one thread q/o, k/v, gate/up, down went from 22.1/20.6/22.1/21.2 to 25.5/25.3/25.2/26.2 GB/s
/// (thread CPU time, medians of 7 interleaved runs, 2026-12-07).
/// </summary>
internal static unsafe class AwqPairRows
{
    private const int GroupBytes = 68;

    /// <summary>Bytes before a group's runs: fp16 scale, zero, padding.</summary>
    private const int HeaderBytes = 4;

    private const int TileRows = 8;

    public static bool IsSupported => Q4PairRows.IsSupported;

    /// <summary>y[t0, r] for r in [rowStart, rowEnd), one token (quantized by <see cref="QuantizeJob{TS, TV}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int columns = op.Columns;
        int blocks = columns / 32;
        int groups = blocks / 4;
        long rowBytes = (long)groups * GroupBytes;
        sbyte* q = op.XQuants + ((long)t0 * columns);          // [blocks, 32]
        int* c = op.XCorrections + ((long)t0 * blocks * 8);    // [blocks, 8]
        float* xd = op.XScales + ((long)t0 * blocks);          // [blocks]
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
            // The tile's rows are adjacent: one linear stream of 8·68 bytes per group, prefetched a whole tile ahead.
            byte* ahead = w0 + Math.Max(TileRows * rowBytes, GemvRows.PrefetchDistance);
            for (int g = 0; g < groups; g++, ahead += TileRows * GroupBytes)
            {
                // 544 bytes a step: three blocks of at most 192, every line of the stream.
                GemvRows.PrefetchBlock<TS, TV>(ahead, 192);
                GemvRows.PrefetchBlock<TS, TV>(ahead + 192, 192);
                GemvRows.PrefetchBlock<TS, TV>(ahead + 384, (TileRows * GroupBytes) - 384);
                long b = 4L * g;
                // Per run, shared by the tile's row pairs: its activations and −16·Σx in both halves, and x.d·2^112.
                var x0 = Both(q + (32 * b)).AsSByte();
                var x1 = Both(q + (32 * b) + 32).AsSByte();
                var x2 = Both(q + (32 * b) + 64).AsSByte();
                var x3 = Both(q + (32 * b) + 96).AsSByte();
                var correction0 = Vector512.ShiftRightArithmetic(Both(c + (8 * b)).AsInt32(), 3);
                var correction1 = Vector512.ShiftRightArithmetic(Both(c + (8 * b) + 8).AsInt32(), 3);
                var correction2 = Vector512.ShiftRightArithmetic(Both(c + (8 * b) + 16).AsInt32(), 3);
                var correction3 = Vector512.ShiftRightArithmetic(Both(c + (8 * b) + 24).AsInt32(), 3);
                var scale0 = Vector512.Create(xd[b]) * Q4PairRows.HalfRebias;
                var scale1 = Vector512.Create(xd[b + 1]) * Q4PairRows.HalfRebias;
                var scale2 = Vector512.Create(xd[b + 2]) * Q4PairRows.HalfRebias;
                var scale3 = Vector512.Create(xd[b + 3]) * Q4PairRows.HalfRebias;
                long offset = (long)g * GroupBytes;
                rows01 = Pair(w0 + offset, w1 + offset, x0, x1, x2, x3, correction0, correction1, correction2, correction3, scale0, scale1, scale2, scale3, rows01);
                rows23 = Pair(w2 + offset, w3 + offset, x0, x1, x2, x3, correction0, correction1, correction2, correction3, scale0, scale1, scale2, scale3, rows23);
                rows45 = Pair(w4 + offset, w5 + offset, x0, x1, x2, x3, correction0, correction1, correction2, correction3, scale0, scale1, scale2, scale3, rows45);
                rows67 = Pair(w6 + offset, w7 + offset, x0, x1, x2, x3, correction0, correction1, correction2, correction3, scale0, scale1, scale2, scale3, rows67);
            }

            Q4PairRows.StoreTile(op, t0, r, rowEnd, rows01, rows23, rows45, rows67);
        }
    }

    /// <summary>
    /// The group at <paramref name="a"/> and at <paramref name="b"/> (rows A and B) into acc = [A lanes | B lanes], its four
    /// runs in order, each acc = fma(s·x.d, lanes, acc). Plain arguments, not a struct: an <c>in</c> struct kept
    /// <see cref="Q4PairRows"/>' whole step in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(
        byte* a, byte* b,
        Vector512<sbyte> x0, Vector512<sbyte> x1, Vector512<sbyte> x2, Vector512<sbyte> x3,
        Vector512<int> correction0, Vector512<int> correction1, Vector512<int> correction2, Vector512<int> correction3,
        Vector512<float> scale0, Vector512<float> scale1, Vector512<float> scale2, Vector512<float> scale3, Vector512<float> acc)
    {
        // int32 lanes 0–7: A's header (scale | zero << 16), lanes 8–15 B's.
        var header = Vector512.ConditionalSelect(
            LowHalf, Vector512.Create(*(uint*)a), Vector512.Create(*(uint*)b));
        var scales = Simd512.F16EvenUnbiased(header.AsSingle());
        // Byte 2 of each 128-bit lane (the zero) to all its bytes: 16 − z for every nibble of the row.
        var bias = Vector512.Create((byte)16) - Avx512BW.Shuffle(header.AsByte(), Vector512.Create((byte)2));
        var runsA = Vector512.Load(a + HeaderBytes);
        var runsB = Vector512.Load(b + HeaderBytes);
        acc = Run(runsA, runsB, 0, bias, x0, correction0, scales * scale0, acc);
        acc = Run(runsA, runsB, 16, bias, x1, correction1, scales * scale1, acc);
        acc = Run(runsA, runsB, 32, bias, x2, correction2, scales * scale2, acc);
        return Run(runsA, runsB, 48, bias, x3, correction3, scales * scale3, acc);
    }

    /// <summary>One run (its 16 bytes at <paramref name="offset"/>) of rows A and B: lanes Σ (q + 16 − z)·x − 16·Σx, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Run(
        Vector512<byte> runsA, Vector512<byte> runsB, int offset, Vector512<byte> bias, Vector512<sbyte> x, Vector512<int> correction,
        Vector512<float> scale, Vector512<float> acc)
    {
        var lanes = Q4PairRows.Dot(Q4PairRows.Quants(runsA, runsB, Q4PairRows.Nibbles(offset)) + bias, x) + correction;
        return Vector512.FusedMultiplyAdd(scale, Vector512.ConvertToSingle(lanes), acc);
    }

    /// <summary>
    /// 32 bytes at <paramref name="source"/> in both halves. Not Avx512F.BroadcastVector256ToVector512: at these addresses
    /// (base + 32·run) it gave runs 1–3 wrong activations here (.NET 10.0.12; not chased further), this form is exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Both(void* source)
    {
        // One vinserti64x4 (Vector512.Create(half, half) took two, into an undefined register).
        var half = Vector256.Load((long*)source);
        return Avx512F.InsertVector256(half.ToVector512Unsafe(), half, 1);
    }

    /// <summary>ConditionalSelect's mask: all bits of int32 lanes 0–7 (row A's half).</summary>
    private static Vector512<uint> LowHalf
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, 0, 0, 0, 0).AsUInt32();  // one constant (from two halves the JIT built it per call)
    }
}
