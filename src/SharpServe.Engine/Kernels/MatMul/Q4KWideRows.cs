using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Single-token Q4_K GEMV on AVX-512 (with GFNI): the decode path of <see cref="Q4KRows"/>, with the same lanes and the
/// same fma order (so the same bits), on activations whose chunks the quantizer stored in paired order
/// (<see cref="Q8KActivations.PairChunks"/>: 0, 2, 1, 3, 4, 6, 5, 7 per super-block). That order matches the weights:
/// one 64-byte load of packed quants holds chunks 4h and 4h + 2 in its low nibbles and 4h + 1, 4h + 3 in its high ones,
/// so two gf2p8affineqb (low nibbles; high nibbles shifted down) unpack two chunk pairs against 64 contiguous
/// activations each. The natural order needed a 32-byte load, vinserti64x4, vpsrlvw and vpand per chunk pair.
/// Super-blocks go two at a time, so that one 256-bit pass of the kmask shuffle unpacks both blocks' scales and mins and
/// one 512-bit vpmulld forms both min terms. In cache on one thread (thread CPU time, medians of 7 interleaved runs, 2026-12-07)
/// gate/up went from 25.1 to 31.0 GB/s and down from 26.5 to 32.8 (the paired order alone: ~12 %; Q8_0 ~31).
/// </summary>
internal static unsafe class Q4KWideRows
{
    private const int Size = TensorDTypeInfo.Q4_KBlockSize;
    private const int Bytes = TensorDTypeInfo.Q4_KBlockBytes;

    /// <summary>Whether a GEMV of <paramref name="tokens"/> tokens on tier TS runs here (and wants paired activations).</summary>
    public static bool Takes<TS, TV>(int tokens)
        where TS : struct, ISimd<TV>
        where TV : struct =>
        tokens == 1 && TS.Count == 16 && Simd512.IsSupported && Gfni.V512.IsSupported;

    /// <summary>y[t0, r] for r in [rowStart, rowEnd), one token quantized with paired chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int columns = op.Columns;
        int blocks = columns / Size;
        long rowBytes = (long)blocks * Bytes;
        float* halfTable = HalfTable.Pointer;
        sbyte* x = op.XQuants + ((long)t0 * columns);                 // [blocks, 256], chunks paired
        int* chunkSums = op.XChunkSums + ((long)t0 * (columns / 32)); // [blocks, 8], natural chunk order
        float* xd = op.XScales + ((long)t0 * blocks);                 // [blocks]
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* block = op.Weights + (r * rowBytes);
            Vector256<float> acc = default;
            Vector128<float> accMin = default;
            int b = 0;
            for (; b + 2 <= blocks; b += 2, block += 2 * Bytes)
            {
                // Two super-blocks a step: their scales and mins are unpacked, and their min terms formed, side by side.
                GemvRows.PrefetchBlock<TS, TV>(block + GemvRows.PrefetchDistance, Bytes);
                GemvRows.PrefetchBlock<TS, TV>(block + GemvRows.PrefetchDistance + Bytes, Bytes);
                var scaleBytes = Q4KRows.ScaleBytes(Vector256.Create(Vector128.Load((uint*)(block + 4)), Vector128.Load((uint*)(block + Bytes + 4))));
                var wide = scaleBytes.AsUInt32().ToVector512Unsafe();
                var lanes0 = Dot(block + 16, x + ((long)b * Size), Avx512F.Shuffle4x128(wide, wide, 0b00_00_00_00).AsByte());
                var lanes1 = Dot(block + Bytes + 16, x + ((long)(b + 1) * Size), Avx512F.Shuffle4x128(wide, wide, 0b01_01_01_01).AsByte());
                // The 16 mins (bytes 8–15 of each half) as int32, times the two blocks' chunk sums; then per block
                // prod[k] = m[2k]·s[2k] + m[2k+1]·s[2k+1] as in Q4KRows.MinLanes: [b: prod 0–3 | b + 1: prod 0–3].
                var mins = Avx512F.ConvertToVector512Int32(Avx2.Permute4x64(scaleBytes.AsUInt64(), 0b11_01_11_01).GetLower().AsByte());
                var products = Avx512F.PermuteVar16x32(mins * Vector512.Load(chunkSums + (8 * b)), MinPairIndices);
                var prod = products.GetLower() + products.GetUpper();
                Q4KRows.Token(xd[b], halfTable[*(ushort*)block], halfTable[*(ushort*)(block + 2)], lanes0, prod.GetLower(), ref acc, ref accMin);
                Q4KRows.Token(xd[b + 1], halfTable[*(ushort*)(block + Bytes)], halfTable[*(ushort*)(block + Bytes + 2)], lanes1, prod.GetUpper(), ref acc, ref accMin);
            }

            if (b < blocks)
            {
                // An odd last super-block: the same unpacking in one half.
                GemvRows.PrefetchBlock<TS, TV>(block + GemvRows.PrefetchDistance, Bytes);
                var packed = Vector128.Load((uint*)(block + 4));
                var scaleBytes = Q4KRows.ScaleBytes(packed.ToVector256Unsafe()).GetLower();
                var wide = scaleBytes.AsUInt32().ToVector256Unsafe().ToVector512Unsafe();
                var lanes = Dot(block + 16, x + ((long)b * Size), Avx512F.Shuffle4x128(wide, wide, 0).AsByte());
                var mins = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(scaleBytes, 8));
                Q4KRows.Token(xd[b], halfTable[*(ushort*)block], halfTable[*(ushort*)(block + 2)], lanes, Q4KRows.MinLanes(mins, chunkSums + (8 * b)), ref acc, ref accMin);
            }

            GemvRows.Store<OneToken>(op, t0, r, Q4KRows.Sum(acc, accMin), 0, 0, 0);
        }
    }

    /// <summary>vpermd indices: [b: even products, b + 1: even | b: odd, b + 1: odd], so lower + upper pairs them.</summary>
    private static Vector512<int> MinPairIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    }

    /// <summary>
    /// One super-block: 8 int32 lanes, lane k = Σ_c scales[c] · Σ q4·q8 over elements 32c + 4k .. 32c + 4k + 3, formed
    /// as two halves (lower: chunks 0, 1, 4, 5; upper: 2, 3, 6, 7) added at the end; exact, like <see cref="Q4KRows"/>'s.
    /// <paramref name="scaleTable"/>: the block's 8 scale bytes (bytes 0–7) in every 128-bit lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(byte* packedQuants, sbyte* pairedActivations, Vector512<byte> scaleTable)
    {
        var lanes = Half(packedQuants, pairedActivations, scaleTable, 0) + Half(packedQuants, pairedActivations, scaleTable, 1);
        return lanes.GetLower() + lanes.GetUpper();
    }

    /// <summary>Chunks 4h .. 4h + 3: 64 packed bytes, the low nibbles against chunks (4h | 4h + 2), the high against (4h + 1 | 4h + 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Half(byte* packedQuants, sbyte* pairedActivations, Vector512<byte> scaleTable, int h)
    {
        var packed = Vector512.Load(packedQuants + (64 * h));
        var low = Gfni.V512.GaloisFieldAffineTransform(packed, LowNibbles, 0);
        var high = Gfni.V512.GaloisFieldAffineTransform(packed, HighNibbles, 0);
        int c = 4 * h;
        return Chunks(low, pairedActivations + (128 * h), scaleTable, c, c + 2)
            + Chunks(high, pairedActivations + (128 * h) + 64, scaleTable, c + 1, c + 3);
    }

    /// <summary>scale[lower] · Σ q·x per 4 values in the lower half, scale[upper] · … in the upper (vpmaddubsw, vpmaddwd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Chunks(Vector512<byte> quants, sbyte* activations, Vector512<byte> scaleTable, int lower, int upper)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(quants, Vector512.Load(activations));
        // vpshufb mask per int16: scale byte `lower` (or `upper`) below a zeroed byte (index 0x80), the scale zero-extended.
        var mask = Simd512.HalfConstant((ushort)(0x8000 | lower), (ushort)(0x8000 | upper)).AsByte();
        return Avx512BW.MultiplyAddAdjacent(pairs, Avx512BW.Shuffle(scaleTable, mask).AsInt16());
    }

    /// <summary>gf2p8affineqb matrix for x &amp; 15 (byte 7 − i selects the source bits of result bit i).</summary>
    private static Vector512<byte> LowNibbles
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(0x0102040800000000UL).AsByte();
    }

    /// <summary>gf2p8affineqb matrix for x &gt;&gt; 4.</summary>
    private static Vector512<byte> HighNibbles
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(0x1020408000000000UL).AsByte();
    }
}
