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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> value) => Vector256.Exp(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> value)
    {
        var half = Vector128.Max(value.GetLower(), value.GetUpper());
        return MathF.Max(MathF.Max(half[0], half[1]), MathF.Max(half[2], half[3]));
    }

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
    public static Vector256<float> LoadPairs(void* source) => Vector256.Load((float*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Bf16Even(Vector256<float> pairs) => (pairs.AsUInt32() << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Bf16Odd(Vector256<float> pairs) => (pairs.AsUInt32() & Vector256.Create(0xFFFF0000u)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16Even(Vector256<float> pairs)
    {
        var bits = pairs.AsUInt32();
        return HalfToSingle((bits << 13) & Vector256.Create(0x0FFFE000u), (bits << 16) & Vector256.Create(0x80000000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16Odd(Vector256<float> pairs)
    {
        var bits = pairs.AsUInt32();
        return HalfToSingle((bits >>> 3) & Vector256.Create(0x0FFFE000u), bits & Vector256.Create(0x80000000u));
    }

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> DotQ8Block(sbyte* weights, short* activations)
    {
        var low = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(weights)), Vector256.Load(activations));
        var high = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(weights + 16)), Vector256.Load(activations + 16));
        return Vector256.ConvertToSingle(low + high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void QuantizeToInt16(float* source, float scale, short* destination)
    {
        var rounded = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(source) * scale));
        Vector256.Narrow(rounded, rounded).GetLower().Store(destination);
    }

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
