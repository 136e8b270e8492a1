using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// y[t, :] = x[t, :] · (1 / sqrt(mean(x[t, :]²) + eps)) · weight. One group of <see cref="GroupSize"/> threads per token:
/// thread i sums squares of elements i, i + GroupSize, …; each warp folds its lanes (<see cref="WarpReduce"/>), and every
/// thread adds the warps' sums in warp order, so all of them scale with the same value.
/// </summary>
internal static class RmsNormKernel
{
    public const int GroupSize = 256;

    /// <summary>x, y: [tokens, dim] (may alias); weight: [dim]. Launch: tokens groups of <see cref="GroupSize"/>.</summary>
    public static void Run(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
    {
        var warpSums = SharedMemory.Allocate<float>(GroupSize / WarpReduce.Lanes);
        long row = (long)Grid.IdxX * dim;
        float squares = 0;
        for (int i = Group.IdxX; i < dim; i += GroupSize)
        {
            float v = x[row + i];
            squares += v * v;
        }

        squares = WarpReduce.Sum(squares);
        if (Warp.IsFirstLane)
        {
            warpSums[Warp.WarpIdx] = squares;
        }

        Group.Barrier();
        float total = 0;
        for (int w = 0; w < GroupSize / WarpReduce.Lanes; w++)
        {
            total += warpSums[w];
        }

        float scale = 1f / MathF.Sqrt((total / dim) + eps);
        for (int i = Group.IdxX; i < dim; i += GroupSize)
        {
            y[row + i] = x[row + i] * scale * weight[i];
        }
    }
}
