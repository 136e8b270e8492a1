using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// Activations rounded to the weights' 16-bit type for cuBLAS, whose GemmEx takes A and B of one type: round to nearest
/// even, as <see cref="DeviceNumbers"/> stores KV entries. Grid-stride, so any launch size covers any length.
/// </summary>
internal static class NarrowKernel
{
    /// <summary>x: [count] f32 → y: [count] in <typeparamref name="TElements"/>.</summary>
    public static void Run<TElements>(ArrayView<float> x, TElements y)
        where TElements : struct, IDeviceElements
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < x.Length; i += stride)
        {
            y.Store(i, x[i]);
        }
    }
}
