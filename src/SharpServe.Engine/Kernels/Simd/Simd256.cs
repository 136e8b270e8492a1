using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpServe.Engine.Kernels.Simd;

/// <summary>AVX2 tier: 8 f32 lanes (needs AVX2 + FMA).</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    /// <summary>2^112: moves a half's exponent bias (15) to f32's (127); exact, and turns half subnormals into f32 normals.</summary>
    private const float HalfRebias = 5.192296858534828e33f;

    public static int Count => 8;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> left, Vector256<float> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> left, Vector256<float> right) => Vector256.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> value) => Vector256.Abs(value);

    /// <summary>ggml_v_expf, AVX2 version (llama.cpp ggml-cpu/vec.h), operation for operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> value)
    {
        var r = Vector256.Create(12582912f); // 0x1.8p23: adding it rounds to an integer in the low mantissa bits
        var z = Vector256.FusedMultiplyAdd(value, Constant(0x3FB8AA3B), r); // log2(e)
        var n = z - r;
        var b = Fma.MultiplyAddNegated(n, Constant(0x35BFBE8E), Fma.MultiplyAddNegated(n, Constant(0x3F317200), value)); // ln 2, lo then hi
        var e = z.AsInt32() << 23;
        var k = (e + Vector256<float>.One.AsInt32()).AsSingle();
        var c = Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(126f));
        var u = b * b;
        var j = Vector256.FusedMultiplyAdd(
            Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Constant(0x3C072010), b, Constant(0x3D2B9F17)), u, Vector256.FusedMultiplyAdd(Constant(0x3E2AAF33), b, Constant(0x3EFFFEDB))),
            u,
            Constant(0x3F7FFFF6) * b);
        if (c == Vector256<float>.Zero)
        {
            return Vector256.FusedMultiplyAdd(j, k, k);
        }

        var g = Vector256.LessThanOrEqual(n, Vector256<float>.Zero).AsInt32() & Vector256.Create(unchecked((int)0x82000000));
        var s1 = (g + Vector256.Create(0x7F000000)).AsSingle();
        var s2 = (e - g).AsSingle();
        var d = Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(192f));
        var inRange = Vector256.ConditionalSelect(c, Vector256.FusedMultiplyAdd(s2, j, s2) * s1, Vector256.FusedMultiplyAdd(k, j, k));
        return Vector256.ConditionalSelect(d, s1 * s1, inRange);
    }

    /// <summary>Halving tree: 8 → 4 → 2 → 1 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value)
    {
        var quarter = value.GetLower() + value.GetUpper();
        var half = quarter + Sse.MoveHighToLow(quarter, quarter);
        return half.ToScalar() + half.GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> value)
    {
        var half = Vector128.Max(value.GetLower(), value.GetUpper());
        return MathF.Max(MathF.Max(half[0], half[1]), MathF.Max(half[2], half[3]));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(float* x, int n)
    {
        var sum0 = Vector256<double>.Zero;
        var sum1 = Vector256<double>.Zero;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.Load(x + i);
            var square = v * v;
            sum0 += Vector256.WidenLower(square);
            sum1 += Vector256.WidenUpper(square);
        }

        double sum = Vector256.Sum(sum0 + sum1);
        for (; i < n; i++)
        {
            sum += x[i] * x[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* address) => Sse.Prefetch0(address);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadPairs(void* source) => Vector256.Load((float*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Bf16Even(Vector256<float> pairs) => (pairs.AsUInt32() << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Bf16Odd(Vector256<float> pairs) => (pairs.AsUInt32() & Vector256.Create(0xFFFF0000u)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> F16Even(Vector256<float> pairs)
    {
        var bits = pairs.AsUInt32();
        return HalfToSingle((bits << 13) & Vector256.Create(0x0FFFE000u), (bits << 16) & Vector256.Create(0x80000000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16EvenUnbiased(Vector256<float> pairs) =>
        (((pairs.AsInt32() << 16) >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16OddUnbiased(Vector256<float> pairs) =>
        ((pairs.AsInt32() >> 3) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(ushort* source) => (Avx2.ConvertToVector256Int32(Vector128.Load(source)).AsUInt32() << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadF16(ushort* source) => F16Even(Avx2.ConvertToVector256Int32(Vector128.Load(source)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadInt8(sbyte* source) =>
        Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(*(long*)source).AsSByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* destination)
    {
        var low = Vector256.Load(source);
        var high = Vector256.Load(source + 8);

        // Shuffle picks within 128-bit halves ([l0 l2 h0 h2 | l4 l6 h4 h6]); Permute4x64 then orders the 64-bit pairs.
        var even = Avx.Shuffle(low, high, 0b10_00_10_00).AsDouble();
        var odd = Avx.Shuffle(low, high, 0b11_01_11_01).AsDouble();
        Avx2.Permute4x64(even, 0b11_01_10_00).AsSingle().Store(destination);
        Avx2.Permute4x64(odd, 0b11_01_10_00).AsSingle().Store(destination + 8);
    }

    /// <summary>
    /// Without AVX-VNNI, vpmaddwd on widened values gives pair sums that vphaddd/vpermq fold into the same lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ8Biased(Vector256<int> correction, Vector256<byte> unsignedWeights, Vector256<sbyte> activations)
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(correction, unsignedWeights, activations);
        }

        // vpmaddubsw would saturate (255·127·2 > 32767): widen to int16 and use the exact vpmaddwd.
        var low = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(unsignedWeights.GetLower()), Avx2.ConvertToVector256Int16(activations.GetLower()));
        var high = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(unsignedWeights.GetUpper()), Avx2.ConvertToVector256Int16(activations.GetUpper()));
        return correction + Avx2.Permute4x64(Avx2.HorizontalAdd(low, high).AsInt64(), 0b11_01_10_00).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ8Scaled(Vector256<int> accumulator, Vector256<byte> unsignedWeights, Vector256<sbyte> activations, Vector256<short> scales)
    {
        var pairs = Avx2.MultiplyAddAdjacent(unsignedWeights, activations);
        return AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(accumulator, pairs, scales)
            : accumulator + Avx2.MultiplyAddAdjacent(pairs, scales);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ4K(byte* packedQuants, sbyte* activations, Vector128<short> scales)
    {
        // Both 128-bit halves hold the 8 scales, so one in-lane vpshufb (constant mask) broadcasts chunk c's scale.
        var table = Vector256.Create(scales, scales).AsByte();
        var low = Vector256.Create((byte)0x0F);
        var lanes = Vector256<int>.Zero;
        for (int g = 0; g < 4; g++)
        {
            var packed = Vector256.Load(packedQuants + (32 * g));
            int c = 2 * g;
            lanes = DotQ8Scaled(lanes, packed & low, Vector256.Load(activations + (32 * c)), ScaleOf(table, c));
            lanes = DotQ8Scaled(lanes, (packed.AsUInt16() >> 4).AsByte() & low, Vector256.Load(activations + (32 * c) + 32), ScaleOf(table, c + 1));
        }

        return lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQ6K(byte* quants, sbyte* activations, int* offsets, Vector128<sbyte> scales)
    {
        var lowScales = Avx2.ConvertToVector256Int32(scales);                           // sub-blocks 0–7
        var highScales = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(scales, 8)); // 8–15
        var lanes = Vector256<int>.Zero;
        for (int h = 0; h < 2; h++)
        {
            var qlLow = Vector256.Load(quants + (64 * h)).AsUInt16();
            var qlHigh = Vector256.Load(quants + (64 * h) + 32).AsUInt16();
            var qh = Vector256.Load(quants + 128 + (32 * h)).AsUInt16();
            var half = h == 0 ? lowScales : highScales;
            int c = 4 * h;
            lanes += DotQ8Biased(Vector256.Load(offsets + (8 * c)), Q6(qlLow, qh << 4), Vector256.Load(activations + (32 * c))) * Q6Scales(half, 0);
            lanes += DotQ8Biased(Vector256.Load(offsets + (8 * c) + 8), Q6(qlHigh, qh << 2), Vector256.Load(activations + (32 * c) + 32)) * Q6Scales(half, 2);
            lanes += DotQ8Biased(Vector256.Load(offsets + (8 * c) + 16), Q6(qlLow >> 4, qh), Vector256.Load(activations + (32 * c) + 64)) * Q6Scales(half, 4);
            lanes += DotQ8Biased(Vector256.Load(offsets + (8 * c) + 24), Q6(qlHigh >> 4, qh >> 2), Vector256.Load(activations + (32 * c) + 96)) * Q6Scales(half, 6);
        }

        return lanes;
    }

    /// <summary>32 unsigned q6: the low nibble of <paramref name="low"/> and bits 4–5 of <paramref name="high"/> (16-bit shifts are fine: the masks drop what crossed a byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Q6(Vector256<ushort> low, Vector256<ushort> high) =>
        (low.AsByte() & Vector256.Create((byte)0x0F)) | (high.AsByte() & Vector256.Create((byte)0x30));

    /// <summary>Lanes 0–3 take scale j, lanes 4–7 scale j + 1 (a chunk's two 16-value sub-blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Scales(Vector256<int> scales, int j) =>
        Vector256.Shuffle(scales, Vector256.Create(j, j, j, j, j + 1, j + 1, j + 1, j + 1));

    /// <summary>Scale <paramref name="chunk"/> (int16 pair 2·chunk, 2·chunk + 1 of each half of the table) in all 16 int16 positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ScaleOf(Vector256<byte> table, int chunk) =>
        Avx2.Shuffle(table, Vector256.Create((ushort)((((2 * chunk) + 1) << 8) | (2 * chunk))).AsByte()).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void QuantizeToInt8(float* source, float scale, sbyte* destination)
    {
        var rounded = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(source) * scale));
        var halves = Vector256.Narrow(rounded, rounded);
        *(long*)destination = Vector128.Narrow(halves.GetLower(), halves.GetLower()).AsInt64().ToScalar();
    }

    private static Vector256<float> Constant(uint bits) => Vector256.Create(BitConverter.UInt32BitsToSingle(bits));

    /// <summary>magnitude: the half's exponent and mantissa shifted to f32 positions; sign: its sign bit at bit 31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfToSingle(Vector256<uint> magnitude, Vector256<uint> sign)
    {
        var value = (magnitude.AsSingle() * HalfRebias).AsUInt32();

        // Exponent 31 (inf/NaN) must become 255, which the rebias multiply alone does not do.
        var infNan = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x0F800000u)) & Vector256.Create(0x7F800000u);
        return (value | infNan | sign).AsSingle();
    }
}
