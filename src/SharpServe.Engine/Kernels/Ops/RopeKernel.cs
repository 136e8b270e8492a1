using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// NEOX rotary embedding (rotate_half): pairs (j, j + d/2) rotated by angle pos · theta^(−2j/d).
/// The angles are computed exactly as llama.cpp's CPU rope does (angle_0 = (float)pos, then
/// angle_{j+1} = angle_j · powf(theta, −2/d) in f32, cosf/sinf), so positions in the thousands give the
/// same angles bit for bit instead of differing by llama.cpp's own ~1e-4 rad f32 rounding.
/// </summary>
internal static unsafe class RopeKernel
{
    /// <summary>x: [tokens, heads, headDim]; table: scratch of headDim floats (cos then sin).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TS, TV>(float* x, int* positions, int tokens, int heads, int headDim, float theta, float* table)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int half = headDim / 2;
        float* cos = table;
        float* sin = table + half;
        float step = MathF.Pow(theta, -2f / headDim);
        for (int t = 0; t < tokens; t++)
        {
            float angle = positions[t];
            for (int j = 0; j < half; j++)
            {
                cos[j] = MathF.Cos(angle);
                sin[j] = MathF.Sin(angle);
                angle *= step;
            }

            for (int h = 0; h < heads; h++)
            {
                Rotate<TS, TV>(x + ((((long)t * heads) + h) * headDim), cos, sin, half);
            }
        }
    }

    private static void Rotate<TS, TV>(float* head, float* cos, float* sin, int half)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int j = 0;
        for (; j <= half - TS.Count; j += TS.Count)
        {
            TV x0 = TS.Load(head + j);
            TV x1 = TS.Load(head + half + j);
            TV c = TS.Load(cos + j);
            TV s = TS.Load(sin + j);
            TS.Store(head + j, TS.Subtract(TS.Multiply(x0, c), TS.Multiply(x1, s)));
            TS.Store(head + half + j, TS.Add(TS.Multiply(x0, s), TS.Multiply(x1, c)));
        }

        for (; j < half; j++)
        {
            float x0 = head[j];
            float x1 = head[half + j];
            head[j] = (x0 * cos[j]) - (x1 * sin[j]);
            head[half + j] = (x0 * sin[j]) + (x1 * cos[j]);
        }
    }
}
