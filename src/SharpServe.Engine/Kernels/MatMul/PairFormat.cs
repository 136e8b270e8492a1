using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>A 16-bit float weight format, decoded two lanes at a time (see <see cref="ISimd{TV}.LoadPairs"/>).</summary>
internal interface IPairFormat
{
    static abstract TV Even<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct;

    static abstract TV Odd<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct;

    /// <summary>Factor every vector sum is multiplied by (the exponent rebias Even/Odd leave out).</summary>
    static abstract float SumScale { get; }

    static abstract float Scalar(ushort bits);
}

internal readonly struct Bf16Pairs : IPairFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Even<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.Bf16Even(pairs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Odd<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.Bf16Odd(pairs);

    public static float SumScale => 1f;

    public static float Scalar(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}

/// <summary>
/// IEEE halves, decoded without the 2^112 exponent rebias (three integer operations, no multiply):
/// the decode-time conversion is the bottleneck of F16 GEMV without a hardware half→float
/// instruction in .NET, so the rebias is applied once per row sum instead of once per weight.
/// </summary>
internal readonly struct F16Pairs : IPairFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Even<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.F16EvenUnbiased(pairs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Odd<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.F16OddUnbiased(pairs);

    public static float SumScale => 5.192296858534828e33f; // 2^112

    public static float Scalar(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
