using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Q4_K weights against Q8_K activations (<see cref="Q8KActivations"/>), each (row, token) in the order of llama.cpp's
/// AVX2 ggml_vec_dot_q4_K_q8_K: per super-block, 8 exact int32 lanes, lane k summing sc[c] · q4 · q8 over elements
/// 32c + 4k .. 32c + 4k + 3 of every 32-value chunk c, then acc[k] = fma(x.d · fp32(w.d), lane k, acc[k]); beside it
/// 4 min lanes prod[k] = m[2k]·s[2k] + m[2k+1]·s[2k+1] (s[j] the q8 sum of chunk j, ggml's bsums added pairwise),
/// accMin[k] = fma(−x.d · fp32(w.dmin), prod[k], accMin[k]). Result hsum_float_8(acc) + ((accMin0 + accMin2) +
/// (accMin1 + accMin3)). The lanes are exact integers, so any order of forming them gives ggml's bits: per chunk,
/// vpmaddubsw of the unsigned q4 against q8, then vpmaddwd (vpdpwssd) with sc[c] (<see cref="ISimd{TV}.DotQ8Scaled"/>),
/// as ggml does; an int32 vpmulld per chunk instead ran at half of Q8_0's GB/s. The chunk sums s come precomputed per token. One row
/// at a time keeps one weight stream (decode streams each byte once); each chunk is unpacked once for all tokens of the group.
/// A single token hands the whole super-block to <see cref="ISimd{TV}.DotQ4K"/>, where AVX-512 takes two chunks per
/// instruction: in cache on one thread that raised Q4_K from ~11 to ~17 GB/s (noisy, shared machine; Q8_0 ~30). Decode
/// itself (one token in the whole GEMV) goes to <see cref="Q4KWideRows"/> on AVX-512 with GFNI.
/// </summary>
internal static unsafe class Q4KRows
{
    private const int Size = TensorDTypeInfo.Q4_KBlockSize;
    private const int Bytes = TensorDTypeInfo.Q4_KBlockBytes;

    /// <summary>y[t, r] for r in [rowStart, rowEnd) and the TN.Count tokens from t0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV, TN>(in GemvOperands op, int t0, int rowStart, int rowEnd)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        int columns = op.Columns;
        int blocks = columns / Size;
        long rowBytes = (long)blocks * Bytes;
        float* halfTable = HalfTable.Pointer;
        sbyte* x0 = op.XQuants + ((long)t0 * columns);        // [TN.Count, columns], token-major
        int* s0 = op.XChunkSums + ((long)t0 * (columns / 32)); // [TN.Count, columns / 32]
        float* d0 = op.XScales + ((long)t0 * blocks);         // [TN.Count, blocks]
        for (int r = rowStart; r < rowEnd; r++)
        {
            byte* block = op.Weights + (r * rowBytes);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector128<float> m0 = default, m1 = default, m2 = default, m3 = default;
            for (int b = 0; b < blocks; b++, block += Bytes)
            {
                GemvRows.PrefetchBlock<TS, TV>(block + GemvRows.PrefetchDistance, Bytes);
                sbyte* x = x0 + ((long)b * Size);
                var (scales, mins) = ScalesAndMins(block + 4);
                Vector256<int> l0 = default, l1 = default, l2 = default, l3 = default;
                if (TN.Count == 1)
                {
                    // Decode: nothing to share between tokens, so the tier may take the super-block its widest way.
                    l0 = TS.DotQ4K(block + 16, x, scales);
                }
                else
                {
                    // Unrolled so that every chunk's scale broadcast has constant indices (one vpermd).
                    var scalePairs = ScalePairs(scales);
                    Group<TS, TV, TN>(block, scalePairs, x, columns, 0, ref l0, ref l1, ref l2, ref l3);
                    Group<TS, TV, TN>(block, scalePairs, x, columns, 1, ref l0, ref l1, ref l2, ref l3);
                    Group<TS, TV, TN>(block, scalePairs, x, columns, 2, ref l0, ref l1, ref l2, ref l3);
                    Group<TS, TV, TN>(block, scalePairs, x, columns, 3, ref l0, ref l1, ref l2, ref l3);
                }

                float wd = halfTable[*(ushort*)block];
                float wMin = halfTable[*(ushort*)(block + 2)];
                float* xd = d0 + b;
                int* sums = s0 + (8 * b);
                Token(xd[0], wd, wMin, l0, MinLanes(mins, sums), ref a0, ref m0);
                if (TN.Count > 1)
                {
                    Token(xd[blocks], wd, wMin, l1, MinLanes(mins, sums + (columns / 32)), ref a1, ref m1);
                }

                if (TN.Count > 2)
                {
                    Token(xd[2 * blocks], wd, wMin, l2, MinLanes(mins, sums + (2 * (columns / 32))), ref a2, ref m2);
                }

                if (TN.Count > 3)
                {
                    Token(xd[3 * blocks], wd, wMin, l3, MinLanes(mins, sums + (3 * (columns / 32))), ref a3, ref m3);
                }
            }

            GemvRows.Store<TN>(op, t0, r, Sum(a0, m0), Sum(a1, m1), Sum(a2, m2), Sum(a3, m3));
        }
    }

    /// <summary>64 values: byte j of group g holds chunk 2g's element j in its low nibble and chunk 2g + 1's in its high one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group<TS, TV, TN>(
        byte* block, Vector256<int> scales, sbyte* x, int columns, int g,
        ref Vector256<int> l0, ref Vector256<int> l1, ref Vector256<int> l2, ref Vector256<int> l3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        var packed = Vector256.Load(block + 16 + (32 * g));
        var low = Vector256.Create((byte)0x0F);
        int c = 2 * g;
        Chunk<TS, TV, TN>(packed & low, Broadcast(scales, c), x + (32 * c), columns, ref l0, ref l1, ref l2, ref l3);
        Chunk<TS, TV, TN>((packed.AsUInt16() >> 4).AsByte() & low, Broadcast(scales, c + 1), x + (32 * c) + 32, columns, ref l0, ref l1, ref l2, ref l3);
    }

    /// <summary>One 32-value chunk against every token of the group (token t at x + t·columns): lanes += sc · Σ q8 · q4, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk<TS, TV, TN>(
        Vector256<byte> q4, Vector256<short> scale, sbyte* x, int columns,
        ref Vector256<int> l0, ref Vector256<int> l1, ref Vector256<int> l2, ref Vector256<int> l3)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TN : struct, ITokenGroup
    {
        l0 = TS.DotQ8Scaled(l0, q4, Vector256.Load(x), scale);
        if (TN.Count > 1)
        {
            l1 = TS.DotQ8Scaled(l1, q4, Vector256.Load(x + columns), scale);
        }

        if (TN.Count > 2)
        {
            l2 = TS.DotQ8Scaled(l2, q4, Vector256.Load(x + (2L * columns)), scale);
        }

        if (TN.Count > 3)
        {
            l3 = TS.DotQ8Scaled(l3, q4, Vector256.Load(x + (3L * columns)), scale);
        }
    }

    /// <summary>One token's super-block: acc = fma(x.d · w.d, lanes, acc), accMin = fma(−x.d · w.dmin, prod, accMin).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Token(float xd, float wd, float wMin, Vector256<int> lanes, Vector128<int> prod, ref Vector256<float> acc, ref Vector128<float> accMin)
    {
        acc = GgmlQ8.Accumulate(Vector256.Create(xd * wd), lanes, acc);
        accMin = Vector128.FusedMultiplyAdd(Vector128.Create(-xd * wMin), Vector128.ConvertToSingle(prod), accMin);
    }

    /// <summary>prod[k] = m[2k]·s[2k] + m[2k+1]·s[2k+1] from the 8 mins and the token's 8 chunk sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> MinLanes(Vector256<int> mins, int* chunkSums)
    {
        var products = Vector256.Shuffle(mins * Vector256.Load(chunkSums), Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7));
        return products.GetLower() + products.GetUpper();
    }

    internal static float Sum(Vector256<float> lanes, Vector128<float> minLanes) =>
        GgmlQ8.Sum(lanes) + ((minLanes.GetElement(0) + minLanes.GetElement(2)) + (minLanes.GetElement(1) + minLanes.GetElement(3)));

    /// <summary>Scale <paramref name="lane"/> in all 16 int16 positions (each int32 of <paramref name="scalePairs"/> holds one scale twice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Broadcast(Vector256<int> scalePairs, int lane) => Vector256.Shuffle(scalePairs, Vector256.Create(lane)).AsInt16();

    /// <summary>Each scale as two int16 in an int32 lane, for <see cref="Broadcast"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScalePairs(Vector128<short> scales)
    {
        var scaleLanes = Vector256.WidenLower(scales.AsUInt16().ToVector256Unsafe()).AsInt32();
        return scaleLanes | (scaleLanes << 16);
    }

    /// <summary>The 8 six-bit scales (int16) and 8 mins (int32 lanes) from the 12 packed bytes (<see cref="ScaleBytes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<short> Scales, Vector256<int> Mins) ScalesAndMins(byte* packed)
    {
        var bytes = ScaleBytes(Vector128.Load((uint*)packed).ToVector256Unsafe()).GetLower();
        var words = Vector256.WidenLower(bytes.ToVector256Unsafe());  // sc0..7, m0..7 (one vpmovzxbw; widening in 128-bit halves took 10)
        return (words.GetLower().AsInt16(), Vector256.WidenLower(words.GetUpper().ToVector256Unsafe()).AsInt32());
    }

    /// <summary>
    /// Per 128-bit half, one super-block's 12 packed scale bytes (layout in <see cref="Q4KCodec"/>) loaded as words u0, u1,
    /// u2 (and 4 bytes past them, still inside the block) become the 8 six-bit scales (bytes 0–7) and 8 mins (bytes 8–15):
    /// bytes 0–3 hold scales 0–3 (and the top bits of scales 4–7), bytes 4–7 mins 0–3 (and the top bits of mins 4–7), bytes
    /// 8–11 the low nibbles of scales 4–7 and the high nibbles of mins 4–7 — ggml's kmask shuffle. Two halves let
    /// <see cref="Q4KWideRows"/> unpack two super-blocks at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ScaleBytes(Vector256<uint> packedWords)
    {
        // Wanted, per byte: scales 0–3 = u0 & 63, scales 4–7 = (u2 & 15) | (u0 >> 6) << 4, mins 0–3 = u1 & 63,
        // mins 4–7 = (u2 >> 4 & 15) | (u1 >> 6) << 4.
        var low = Vector256.Shuffle(packedWords, Vector256.Create(0u, 2, 1, 2, 4, 6, 5, 6));  // u0, u2, u1, u2 per half
        var top = Vector256.Shuffle(packedWords, Vector256.Create(0u, 0, 1, 1, 4, 4, 5, 5));  // u0, u0, u1, u1
        var lowBits = (low & Vector256.Create(0x3F3F3F3Fu, 0x0F0F0F0F, 0x3F3F3F3F, 0, 0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0))
            | ((low >> 4) & Vector256.Create(0u, 0, 0, 0x0F0F0F0F, 0, 0, 0, 0x0F0F0F0F));
        return (lowBits | ((top >> 2) & Vector256.Create(0u, 0x30303030, 0, 0x30303030, 0, 0x30303030, 0, 0x30303030))).AsByte();
    }
}
