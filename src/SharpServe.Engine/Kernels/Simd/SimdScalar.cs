using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpServe.Engine.Kernels.Simd;

/// <summary>Portable tier: one f32 "lane"; a pair is two 16-bit values in one 32-bit word.</summary>
internal readonly unsafe struct SimdScalar : ISimd<float>
{
    public static int Count => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, float value) => *destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float left, float right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float left, float right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float left, float right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float left, float right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float left, float right) => MathF.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Abs(float value) => MathF.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float value) => MathF.Exp(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(float* x, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += x[i] * x[i];
        }

        return sum;
    }

    /// <summary>No portable prefetch; the hardware prefetcher alone follows the stream.</summary>
    public static void Prefetch(void* address)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadPairs(void* source) => BitConverter.UInt32BitsToSingle(*(uint*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16Even(float pairs) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(pairs) << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16Odd(float pairs) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(pairs) & 0xFFFF0000u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16EvenUnbiased(float pairs) =>
        BitConverter.Int32BitsToSingle(((BitConverter.SingleToInt32Bits(pairs) << 16) >> 3) & unchecked((int)0x8FFFE000));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16OddUnbiased(float pairs) =>
        BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(pairs) >> 3) & unchecked((int)0x8FFFE000));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadBf16(ushort* source) => BitConverter.UInt32BitsToSingle((uint)*source << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadF16(ushort* source) => (float)BitConverter.UInt16BitsToHalf(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadInt8(sbyte* source) => *source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* destination)
    {
        destination[0] = source[0];
        destination[1] = source[1];
    }

    public static Vector256<int> DotQ8Biased(Vector256<int> correction, Vector256<byte> unsignedWeights, Vector256<sbyte> activations)
    {
        var lanes = stackalloc int[8];
        for (int k = 0; k < 8; k++)
        {
            int sum = correction.GetElement(k);
            for (int i = 4 * k; i < (4 * k) + 4; i++)
            {
                sum += unsignedWeights.GetElement(i) * activations.GetElement(i);
            }

            lanes[k] = sum;
        }

        return Vector256.Load(lanes);
    }

    public static Vector256<int> DotQ8Scaled(Vector256<int> accumulator, Vector256<byte> unsignedWeights, Vector256<sbyte> activations, Vector256<short> scales)
    {
        var lanes = stackalloc int[8];
        for (int k = 0; k < 8; k++)
        {
            int sum = accumulator.GetElement(k);
            for (int p = 2 * k; p < (2 * k) + 2; p++)
            {
                sum += scales.GetElement(p) * ((unsignedWeights.GetElement(2 * p) * activations.GetElement(2 * p)) + (unsignedWeights.GetElement((2 * p) + 1) * activations.GetElement((2 * p) + 1)));
            }

            lanes[k] = sum;
        }

        return Vector256.Load(lanes);
    }

    public static Vector256<int> DotQ4K(byte* packedQuants, sbyte* activations, Vector128<short> scales)
    {
        var lanes = Vector256<int>.Zero;
        var quants = stackalloc byte[32];
        for (int c = 0; c < 8; c++)
        {
            byte* packed = packedQuants + (32 * (c / 2));
            for (int j = 0; j < 32; j++)
            {
                quants[j] = (byte)((packed[j] >> (4 * (c % 2))) & 0x0F);
            }

            lanes = DotQ8Scaled(lanes, Vector256.Load(quants), Vector256.Load(activations + (32 * c)), Vector256.Create(scales.GetElement(c)));
        }

        return lanes;
    }

    public static Vector256<int> DotQ6K(byte* quants, sbyte* activations, int* offsets, Vector128<sbyte> scales)
    {
        var lanes = stackalloc int[8];
        new Span<int>(lanes, 8).Clear();
        for (int c = 0; c < 8; c++)
        {
            // Chunk c = 4h + i: ql bytes 64h + 32(i % 2) + j, high nibble when i ≥ 2; qh byte 128 + 32h + j, bit pair i.
            int h = c / 4, i = c % 4;
            for (int k = 0; k < 8; k++)
            {
                int sum = offsets[(8 * c) + k];
                for (int j = 4 * k; j < (4 * k) + 4; j++)
                {
                    int ql = (quants[(64 * h) + (32 * (i % 2)) + j] >> (4 * (i / 2))) & 0x0F;
                    int qh = (quants[128 + (32 * h) + j] >> (2 * i)) & 3;
                    sum += (ql | (qh << 4)) * activations[(32 * c) + j];
                }

                lanes[k] += scales.GetElement((2 * c) + (k / 4)) * sum;
            }
        }

        return Vector256.Load(lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void QuantizeToInt8(float* source, float scale, sbyte* destination) =>
        *destination = (sbyte)MathF.Round(*source * scale, MidpointRounding.ToEven);
}
