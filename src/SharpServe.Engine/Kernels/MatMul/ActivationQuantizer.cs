using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Quantizes an activation row to Q8_0 blocks exactly as llama.cpp's x86 quantize_row_q8_0 does before a
/// Q8_0 dot product: per 32 values d = amax/127, q = round-half-even(x · 127/amax), and d is stored as
/// fp16, so the dot product uses the fp16-rounded d.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    /// <summary>x: [columns] → quants: [columns] int8, scales: [columns / 32].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize<TS, TV>(float* x, int columns, sbyte* quants, float* scales)
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
            scales[block] = (float)(Half)(amax / 127f);
            for (int i = 0; i < 32; i += TS.Count)
            {
                TS.QuantizeToInt8(source + i, inverse, quants + (block * 32) + i);
            }
        }
    }
}
