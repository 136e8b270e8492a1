using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using SharpServe.Engine.Cuda.Kernels;

namespace SharpServe.Engine.Cuda.Tests;

/// <summary>
/// ILGPU's CPU accelerator shaped like an NVIDIA GPU (32-lane warps), with the kernels loaded once for all tests: the kernels
/// run their real warp shuffles, barriers and shared memory, one .NET thread per GPU thread, so plain C# references
/// that add in the same order must agree bit for bit.
/// </summary>
public sealed class SimulatedDevice : IDisposable
{
    public SimulatedDevice()
    {
        Context = DeviceContext.CreateCpuSimulation();
        Accelerator = Context.GetCPUDevice(0).CreateCPUAccelerator(Context);
        Kernels = new DeviceKernels(Accelerator);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    internal DeviceKernels Kernels { get; }

    public AcceleratorStream Stream => Accelerator.DefaultStream;

    public MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] values)
        where T : unmanaged => Accelerator.Allocate1D(values);

    public T[] Download<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        Accelerator.Synchronize();
        return buffer.GetAsArray1D();
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SimulatedDeviceCollection : ICollectionFixture<SimulatedDevice>
{
    public const string Name = "simulated device";
}
