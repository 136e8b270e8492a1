using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpServe.Engine.Kernels.Simd;

/// <summary>AVX-512 tier: 16 f32 lanes (needs AVX512F + AVX512BW).</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    /// <summary>2^112: moves a half's exponent bias (15) to f32's (127); exact, and turns half subnormals into f32 normals.</summary>
    private const float HalfRebias = 5.192296858534828e33f;

    public static int Count => 16;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    private static Vector512<int> EvenIndices => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    private static Vector512<int> OddIndices => Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector512<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> left, Vector512<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> left, Vector512<float> right) => Vector512.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> value) => Vector512.Abs(value);

    /// <summary>ggml_v_expf, AVX-512 version (llama.cpp ggml-cpu/vec.h), operation for operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> value)
    {
        var r = Vector512.Create(12582912f); // 0x1.8p23: adding it rounds to an integer in the low mantissa bits
        var z = Vector512.FusedMultiplyAdd(value, Constant(0x3FB8AA3B), r); // log2(e)
        var n = z - r;
        var b = Avx512F.FusedMultiplyAddNegated(n, Constant(0x35BFBE8E), Avx512F.FusedMultiplyAddNegated(n, Constant(0x3F317200), value)); // ln 2, lo then hi
        var u = b * b;
        var j = Vector512.FusedMultiplyAdd(
            Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(Constant(0x3C072010), b, Constant(0x3D2B9F17)), u, Vector512.FusedMultiplyAdd(Constant(0x3E2AAF33), b, Constant(0x3EFFFEDB))),
            u,
            Vector512.FusedMultiplyAdd(Constant(0x3F7FFFF6), b, Vector512<float>.One));
        var result = Avx512F.Scale(j, n);
        var outside = Vector512.GreaterThan(Vector512.Abs(n), Vector512.Create(192f));
        if (outside == Vector512<float>.Zero)
        {
            return result;
        }

        var saturated = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(n, Vector512<float>.Zero), Vector512<float>.Zero, Vector512.Create(float.PositiveInfinity));
        return Vector512.ConditionalSelect(outside, saturated, result);
    }

    /// <summary>Halving tree (≈7 instructions; Vector512.Sum compiles to ~25 here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Simd256.Sum(value.GetLower() + value.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> value)
    {
        var half = Vector256.Max(value.GetLower(), value.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        return MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(float* x, int n)
    {
        var sum0 = Vector512<double>.Zero;
        var sum1 = Vector512<double>.Zero;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var v = Vector512.Load(x + i);
            var square = v * v;
            sum0 += Vector512.WidenLower(square);
            sum1 += Vector512.WidenUpper(square);
        }

        double sum = Vector512.Sum(sum0 + sum1);
        for (; i < n; i++)
        {
            sum += x[i] * x[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* address) => Sse.Prefetch0(address);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadPairs(void* source) => Vector512.Load((float*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Bf16Even(Vector512<float> pairs) => (pairs.AsUInt32() << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Bf16Odd(Vector512<float> pairs) => (pairs.AsUInt32() & Vector512.Create(0xFFFF0000u)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> F16Even(Vector512<float> pairs)
    {
        var bits = pairs.AsUInt32();
        return HalfToSingle((bits << 13) & Vector512.Create(0x0FFFE000u), (bits << 16) & Vector512.Create(0x80000000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> F16EvenUnbiased(Vector512<float> pairs) =>
        (((pairs.AsInt32() << 16) >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> F16OddUnbiased(Vector512<float> pairs) =>
        ((pairs.AsInt32() >> 3) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16(ushort* source) => (Avx512F.ConvertToVector512UInt32(Vector256.Load(source)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadF16(ushort* source) => F16Even(Avx512F.ConvertToVector512UInt32(Vector256.Load(source)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadInt8(sbyte* source) => Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(source)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* destination)
    {
        var low = Vector512.Load(source);
        var high = Vector512.Load(source + 16);
        Avx512F.PermuteVar16x32x2(low, EvenIndices, high).Store(destination);
        Avx512F.PermuteVar16x32x2(low, OddIndices, high).Store(destination + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ8Biased(Vector256<int> correction, Vector256<byte> unsignedWeights, Vector256<sbyte> activations) =>
        Simd256.DotQ8Biased(correction, unsignedWeights, activations);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ8Scaled(Vector256<int> accumulator, Vector256<byte> unsignedWeights, Vector256<sbyte> activations, Vector256<short> scales) =>
        Simd256.DotQ8Scaled(accumulator, unsignedWeights, activations, scales);

    /// <summary>
    /// Two chunks per 512-bit instruction: a group's 32 packed bytes in both halves, the upper half shifted right by 4
    /// (vpsrlvw), so after the nibble mask the lower half holds chunk 2g and the upper chunk 2g + 1 against the group's
    /// 64 contiguous activations. Lane k of the upper half sums the odd chunks, of the lower half the even ones; adding
    /// the halves gives the same exact integers as chunk by chunk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ4K(byte* packedQuants, sbyte* activations, Vector128<short> scales)
    {
        var wide = scales.AsInt32().ToVector256Unsafe().ToVector512Unsafe();
        var table = Avx512F.Shuffle4x128(wide, wide, 0).AsByte();  // all four 128-bit lanes hold the 8 scales, for vpshufb
        // Unrolled so that every group's scale mask is a constant.
        var lanes = Group(packedQuants, activations, table, 0);
        lanes += Group(packedQuants, activations, table, 1);
        lanes += Group(packedQuants, activations, table, 2);
        lanes += Group(packedQuants, activations, table, 3);
        return lanes.GetLower() + lanes.GetUpper();
    }

    /// <summary>Chunks 2g (lower half) and 2g + 1 (upper half) of the super-block, 8 int32 lanes each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Group(byte* packedQuants, sbyte* activations, Vector512<byte> scaleTable, int g)
    {
        // The group in both halves: a load and one vinserti64x4 (Vector512.Create(half, half) took two inserts, and
        // Avx512F.BroadcastVector256ToVector512 gave wrong lanes under full optimization in .NET 10.0.12).
        var half = Vector256.Load(packedQuants + (32 * g));
        var packed = Avx512F.InsertVector256(half.ToVector512Unsafe(), half, 1).AsUInt16();
        var shifts = HalfConstant(0, 4).AsUInt16();
        var quants = Avx512BW.ShiftRightLogicalVariable(packed, shifts).AsByte() & Vector512.Create((byte)0x0F);
        var pairs = Avx512BW.MultiplyAddAdjacent(quants, Vector512.Load(activations + (64 * g)));
        // vpshufb mask: chunk 2g's scale (int16 2g of the table) in every int16 of the lower half, chunk 2g + 1's in the upper.
        var mask = HalfConstant((ushort)((((4 * g) + 1) << 8) | (4 * g)), (ushort)((((4 * g) + 3) << 8) | ((4 * g) + 2))).AsByte();
        return Avx512BW.MultiplyAddAdjacent(pairs, Avx512BW.Shuffle(scaleTable, mask).AsInt16());
    }

    /// <summary>
    /// Two chunks per 512-bit instruction: ql bytes 64h .. 64h + 63 hold chunks 4h and 4h + 1 (low nibbles) and 4h + 2,
    /// 4h + 3 (high), so one load feeds two pairs of adjacent chunks, with qh in both halves shifted per half (vpsllvw,
    /// vpsrlvw). Without 512-bit VNNI in .NET the four-value sums are vpmaddubsw (q6 ≤ 63: no saturation) and vpmaddwd by 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ6K(byte* quants, sbyte* activations, int* offsets, Vector128<sbyte> scales)
    {
        var scaleLanes = Avx512F.ConvertToVector512Int32(scales);  // 16 sub-block scales as int32
        var lanes = Q6Half(quants, activations, offsets, scaleLanes, 0) + Q6Half(quants, activations, offsets, scaleLanes, 1);
        return lanes.GetLower() + lanes.GetUpper();
    }

    /// <summary>Chunks 4h .. 4h + 3: lower halves hold the even chunks, upper halves the odd ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Q6Half(byte* quants, sbyte* activations, int* offsets, Vector512<int> scaleLanes, int h)
    {
        var ql = Vector512.Load(quants + (64 * h));
        var qhHalf = Vector256.Load(quants + 128 + (32 * h));
        var qh = Avx512F.InsertVector256(qhHalf.ToVector512Unsafe(), qhHalf, 1).AsUInt16();
        var low = Vector512.Create((byte)0x0F);
        var top = Vector512.Create((byte)0x30);
        // Chunks 4h, 4h + 1: low nibbles, qh bit pairs 0–1 and 2–3 moved to bits 4–5.
        var first = (ql & low) | (Avx512BW.ShiftLeftLogicalVariable(qh, HalfConstant(4, 2).AsUInt16()).AsByte() & top);
        // Chunks 4h + 2, 4h + 3: high nibbles, qh bit pairs 4–5 and 6–7.
        var second = ((ql.AsUInt16() >> 4).AsByte() & low) | (Avx512BW.ShiftRightLogicalVariable(qh, HalfConstant(0, 2).AsUInt16()).AsByte() & top);
        int c = 4 * h;
        return Q6Pair(first, activations + (32 * c), offsets + (8 * c), scaleLanes, c)
            + Q6Pair(second, activations + (32 * c) + 64, offsets + (8 * c) + 16, scaleLanes, c + 2);
    }

    /// <summary>Chunks c (lower half) and c + 1 (upper): scale · (offset + Σ q6·q8) per four values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Q6Pair(Vector512<byte> q6, sbyte* activations, int* offsets, Vector512<int> scaleLanes, int c)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(q6, Vector512.Load(activations));
        var sums = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + Vector512.Load(offsets);
        int s = 2 * c;
        var scale = Vector512.Shuffle(scaleLanes, Vector512.Create(s, s, s, s, s + 1, s + 1, s + 1, s + 1, s + 2, s + 2, s + 2, s + 2, s + 3, s + 3, s + 3, s + 3));
        return sums * scale;
    }

    /// <summary>
    /// <paramref name="lower"/> in every int16 of the lower half, <paramref name="upper"/> in the upper: built from eight
    /// ulong scalars so that the JIT folds it into one constant (from two Vector256 halves it inserted them every time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<ulong> HalfConstant(ushort lower, ushort upper)
    {
        ulong low = lower * 0x0001_0001_0001_0001UL, high = upper * 0x0001_0001_0001_0001UL;
        return Vector512.Create(low, low, low, low, high, high, high, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void QuantizeToInt8(float* source, float scale, sbyte* destination)
    {
        var rounded = Vector512.Round(Vector512.Load(source) * scale);
        Avx512F.ConvertToVector128SByte(Vector512.ConvertToInt32(rounded)).Store(destination);
    }

    private static Vector512<float> Constant(uint bits) => Vector512.Create(BitConverter.UInt32BitsToSingle(bits));

    /// <summary>magnitude: the half's exponent and mantissa shifted to f32 positions; sign: its sign bit at bit 31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HalfToSingle(Vector512<uint> magnitude, Vector512<uint> sign)
    {
        var value = (magnitude.AsSingle() * HalfRebias).AsUInt32();

        // Exponent 31 (inf/NaN) must become 255, which the rebias multiply alone does not do.
        var infNan = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x0F800000u)) & Vector512.Create(0x7F800000u);
        return (value | infNan | sign).AsSingle();
    }
}
