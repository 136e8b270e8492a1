using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>Writes each token's K and V row into its cache slot, converted to the cache's type. One group per token.</summary>
internal static class StoreKvKernel
{
    public const int GroupSize = 128;

    /// <summary>k, v: [tokens, kvDim] f32; slots: [tokens]; keys, values: [cache slots, kvDim]. Launch: tokens groups of <see cref="GroupSize"/>.</summary>
    public static void Run<TCache>(ArrayView<float> k, ArrayView<float> v, ArrayView<int> slots, TCache keys, TCache values, int kvDim)
        where TCache : struct, IDeviceElements
    {
        int token = Grid.IdxX;
        long source = (long)token * kvDim;
        long target = (long)slots[token] * kvDim;
        for (int d = Group.IdxX; d < kvDim; d += GroupSize)
        {
            keys.Store(target + d, k[source + d]);
            values.Store(target + d, v[source + d]);
        }
    }
}
