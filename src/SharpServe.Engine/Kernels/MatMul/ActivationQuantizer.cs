using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Quantizes an activation row to Q8_0 blocks exactly as llama.cpp's x86 quantize_row_q8_0 does before a
/// Q8_0 dot product: per 32 values d = amax/127, q = round-half-even(x · 127/amax), and d is stored as
/// fp16, so the dot product uses the fp16-rounded d. Also writes each block's per-lane −128·Σ q
/// (<see cref="ISimd{TV}.DotQ8Biased"/>), once per token instead of once per weight row.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    /// <summary>
    /// x: [columns] → block b's 32 quants (int8) at quants + 32·b·interleave, its scale at scales[b·interleave],
    /// its 8 corrections at corrections + 8·b·interleave (none when null: the panel GEMM corrects on the weight side): the
    /// caller interleaves the blocks of <paramref name="interleave"/> tokens so that a token group's block is one contiguous run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize<TS, TV>(float* x, int columns, sbyte* quants, float* scales, int* corrections, int interleave)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        for (int block = 0; block < columns / 32; block++)
        {
            float* source = x + (block * 32);
            TV max = TS.Zero;
            for (int i = 0; i < 32; i += TS.Count)
            {
                max = TS.Max(max, TS.Abs(TS.Load(source + i)));
            }

            float amax = TS.MaxAcross(max);
            float inverse = amax != 0f ? 127f / amax : 0f;
            long index = (long)block * interleave;
            scales[index] = RoundToHalf(amax / 127f);
            sbyte* q = quants + (index * 32);
            for (int i = 0; i < 32; i += TS.Count)
            {
                TS.QuantizeToInt8(source + i, inverse, q + i);
            }

            if (corrections == null)
            {
                continue;
            }

            if (TS.Count > 1 && Avx2.IsSupported)
            {
                // Σ of each 4 quants: vpmaddubsw against ones (adjacent pairs, int16), then vpmaddwd against ones; exact.
                var pairs = Avx2.MultiplyAddAdjacent(Vector256<byte>.One, Vector256.Load(q));
                var quads = Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);
                (quads * -128).Store(corrections + (index * 8));
                continue;
            }

            for (int lane = 0; lane < 8; lane++)
            {
                corrections[(index * 8) + lane] = -128 * (q[4 * lane] + q[(4 * lane) + 1] + q[(4 * lane) + 2] + q[(4 * lane) + 3]);
            }
        }
    }

    /// <summary>
    /// (float)(Half)value for a non-negative finite value, with the common case inline: on half's normal range below
    /// 65520, round-to-nearest-even to 10 mantissa bits is an add and a mask on the f32 bits (a carry into the exponent is
    /// the right result too); subnormals, zero and what overflows to infinity take the runtime's conversion. The software
    /// conversion had been ~45 % of the quantizer's time. Equal to the cast for every such f32 (checked exhaustively).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(float value)
    {
        const uint SmallestNormal = 0x38800000;   // 2^-14
        const uint FirstOverflow = 0x477FF000;    // 65520, the first value that rounds to infinity
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (bits - SmallestNormal < FirstOverflow - SmallestNormal)
        {
            bits += 0xFFFu + ((bits >> 13) & 1u);
            return BitConverter.UInt32BitsToSingle(bits & 0xFFFFE000u);
        }

        return (float)(Half)value;
    }
}
