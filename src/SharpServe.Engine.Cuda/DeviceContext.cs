using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace SharpServe.Engine.Cuda;

/// <summary>
/// The ILGPU contexts the backend uses. Algorithms are enabled everywhere: they give kernels exp/cos/sin on the PTX backend.
/// </summary>
internal static class DeviceContext
{
    /// <summary>
    /// A context with ILGPU's CPU accelerator shaped like an NVIDIA GPU (32-lane warps, groups up to 1024 threads): the
    /// kernels' warp shuffles, barriers and shared memory run as on the card, one .NET thread per GPU thread.
    /// </summary>
    public static Context CreateCpuSimulation() => Context.Create(builder => builder.CPU(CPUDeviceKind.Nvidia).EnableAlgorithms());

    /// <summary>
    /// A context with the CUDA backend: it compiles PTX without touching a device or driver, and lists the cards the driver
    /// reports (<see cref="CudaDriver.Probe"/> registers the driver's name first).
    /// </summary>
    public static Context CreateCuda() => Context.Create(builder => builder.Cuda().EnableAlgorithms());
}
