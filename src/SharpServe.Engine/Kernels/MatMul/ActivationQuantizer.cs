using System.Runtime.CompilerServices;
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
            scales[index] = (float)(Half)(amax / 127f);
            sbyte* q = quants + (index * 32);
            for (int i = 0; i < 32; i += TS.Count)
            {
                TS.QuantizeToInt8(source + i, inverse, q + i);
            }

            if (corrections == null)
            {
                continue;
            }

            for (int lane = 0; lane < 8; lane++)
            {
                corrections[(index * 8) + lane] = -128 * (q[4 * lane] + q[(4 * lane) + 1] + q[(4 * lane) + 2] + q[(4 * lane) + 3]);
            }
        }
    }
}
