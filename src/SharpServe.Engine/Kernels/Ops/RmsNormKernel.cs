using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// y = x / sqrt(mean(x²) + eps) · w, per token, in ggml's order: squares rounded to f32, summed in f64
/// (so the sum does not depend on the vector width or length), mean and scale in f32, then (x·scale)·w.
/// </summary>
internal static unsafe class RmsNormKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV>(float* x, float* weight, float eps, float* y, int tokens, int dim)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        for (int t = 0; t < tokens; t++)
        {
            float* source = x + ((long)t * dim);
            float* destination = y + ((long)t * dim);
            float mean = (float)(TS.SumOfSquares(source, dim) / dim);
            float scale = 1f / MathF.Sqrt(mean + eps);
            TV vectorScale = TS.Broadcast(scale);
            int i = 0;
            for (; i <= dim - TS.Count; i += TS.Count)
            {
                TS.Store(destination + i, TS.Multiply(TS.Multiply(TS.Load(source + i), vectorScale), TS.Load(weight + i)));
            }

            for (; i < dim; i++)
            {
                destination[i] = source[i] * scale * weight[i];
            }
        }
    }
}
