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

    public static float Scalar(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}

internal readonly struct F16Pairs : IPairFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Even<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.F16Even(pairs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Odd<TS, TV>(TV pairs)
        where TS : struct, ISimd<TV>
        where TV : struct => TS.F16Odd(pairs);

    public static float Scalar(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
