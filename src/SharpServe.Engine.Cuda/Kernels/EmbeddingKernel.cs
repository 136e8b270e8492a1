using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>y[t, :] = table[ids[t], :] widened to f32. One group per token.</summary>
internal static class EmbeddingKernel
{
    public const int GroupSize = 256;

    /// <summary>table: [vocab, columns]; ids: [tokens]; y: [tokens, columns]. Launch: tokens groups of <see cref="GroupSize"/>.</summary>
    public static void Run<TTable>(TTable table, ArrayView<int> ids, ArrayView<float> y, int columns)
        where TTable : struct, IDeviceElements
    {
        int token = Grid.IdxX;
        long source = (long)ids[token] * columns;
        long target = (long)token * columns;
        for (int c = Group.IdxX; c < columns; c += GroupSize)
        {
            y[target + c] = table.Load(source + c);
        }
    }
}
