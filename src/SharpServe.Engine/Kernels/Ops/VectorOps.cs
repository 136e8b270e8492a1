using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>Small vector loops shared by the element-wise kernels and attention.</summary>
internal static unsafe class VectorOps
{
    public static float Dot<TS, TV>(float* a, float* b, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV acc = TS.Zero;
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            acc = TS.MultiplyAdd(TS.Load(a + i), TS.Load(b + i), acc);
        }

        float sum = TS.Sum(acc);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>y += a · x.</summary>
    public static void MultiplyAdd<TS, TV>(float* y, float a, float* x, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV scale = TS.Broadcast(a);
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TS.Store(y + i, TS.MultiplyAdd(scale, TS.Load(x + i), TS.Load(y + i)));
        }

        for (; i < n; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
        }
    }

    /// <summary>x *= a.</summary>
    public static void Scale<TS, TV>(float* x, float a, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV scale = TS.Broadcast(a);
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TS.Store(x + i, TS.Multiply(TS.Load(x + i), scale));
        }

        for (; i < n; i++)
        {
            x[i] *= a;
        }
    }

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

    /// <summary>x[i] = exp(x[i] − shift); returns Σ of the results.</summary>
    public static float ExpAndSum<TS, TV>(float* x, float shift, int n)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV offset = TS.Broadcast(shift);
        TV acc = TS.Zero;
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            TV e = TS.Exp(TS.Subtract(TS.Load(x + i), offset));
            TS.Store(x + i, e);
            acc = TS.Add(acc, e);
        }

        float sum = TS.Sum(acc);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - shift);
            sum += x[i];
        }

        return sum;
    }

    /// <summary>x += y.</summary>
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
