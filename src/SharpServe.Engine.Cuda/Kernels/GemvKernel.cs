using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// y[t, o] = Σ_i W[o, i] · x[t, i] + bias[o] for few tokens (decode): one warp per output row, lane l reading columns
/// l, l + 32, … (coalesced), folded by <see cref="WarpReduce"/>. Weights stay in their stored type and are widened as
/// they are read. Large batches go to a GEMM instead.
/// </summary>
internal static class GemvKernel
{
    public const int WarpsPerGroup = 4;

    public const int GroupSize = WarpsPerGroup * WarpReduce.Lanes;

    /// <summary>
    /// weights: [rows, columns]; x: [tokens, columns]; bias: [rows] or empty; y: [tokens, rows].
    /// Launch: ceil(rows / <see cref="WarpsPerGroup"/>) groups of <see cref="GroupSize"/>.
    /// </summary>
    public static void Run<TWeights>(TWeights weights, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
        where TWeights : struct, IDeviceElements
    {
        int row = (Grid.IdxX * WarpsPerGroup) + Warp.WarpIdx;
        if (row >= rows)
        {
            return;
        }

        long w = (long)row * columns;
        for (int t = 0; t < tokens; t++)
        {
            long input = (long)t * columns;
            float sum = 0;
            for (int i = Warp.LaneIdx; i < columns; i += WarpReduce.Lanes)
            {
                sum += weights.Load(w + i) * x[input + i];
            }

            sum = WarpReduce.Sum(sum);
            if (Warp.IsFirstLane)
            {
                y[((long)t * rows) + row] = bias.Length > 0 ? sum + bias[row] : sum;
            }
        }
    }
}
