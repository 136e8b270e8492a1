using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>Small vector loops shared by the element-wise kernels and attention.</summary>
internal static unsafe class VectorOps
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max<TS, TV>(float* x, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        float max = float.NegativeInfinity;
        int i = 0;
        if (n >= TS.Count)
        {
            TV acc = TS.Load(x);
            for (i = TS.Count; i <= n - TS.Count; i += TS.Count)
            {
                acc = TS.Max(acc, TS.Load(x + i));
            }

            max = TS.MaxAcross(acc);
        }

        for (; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        return max;
    }

    /// <summary>x += y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add<TS, TV>(float* x, float* y, long n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        long i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TS.Store(x + i, TS.Add(TS.Load(x + i), TS.Load(y + i)));
        }

        for (; i < n; i++)
        {
            x[i] += y[i];
        }
    }

    /// <summary>y = silu(gate) · up = gate / (1 + exp(−gate)) · up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluMul<TS, TV>(float* gate, float* up, float* y, long n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV one = TS.Broadcast(1f);
        long i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TV g = TS.Load(gate + i);
            TV silu = TS.Divide(g, TS.Add(one, TS.Exp(TS.Subtract(TS.Zero, g))));
            TS.Store(y + i, TS.Multiply(silu, TS.Load(up + i)));
        }

        for (; i < n; i++)
        {
            y[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
        }
    }
}
