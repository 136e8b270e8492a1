using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>Element-wise operations of the forward pass; grid-stride loops, so any launch size covers any length.</summary>
internal static class ElementwiseKernels
{
    /// <summary>x += y. Both [count].</summary>
    public static void Add(ArrayView<float> x, ArrayView<float> y)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < x.Length; i += stride)
        {
            x[i] += y[i];
        }
    }

    /// <summary>destination[r, :] = source[rows[r], :]. source: [tokens, width]; rows: [rows]; destination: [rows, width].</summary>
    public static void GatherRows(ArrayView<float> source, ArrayView<int> rows, ArrayView<float> destination, int width)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < destination.Length; i += stride)
        {
            long row = i / width;
            destination[i] = source[((long)rows[row] * width) + (i - (row * width))];
        }
    }

    /// <summary>y[t, r] += bias[r]: the bias after a cuBLAS GEMM, added to the finished sum as the ILGPU kernels add it. y: [tokens, rows]; bias: [rows].</summary>
    public static void AddBias(ArrayView<float> y, ArrayView<float> bias)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            y[i] += bias[i % bias.Length];
        }
    }

    /// <summary>y = silu(gate) · up = gate / (1 + e^−gate) · up, the CPU engine's formula. All [tokens, intermediate].</summary>
    public static void SiluMul(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            float g = gate[i];
            y[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
