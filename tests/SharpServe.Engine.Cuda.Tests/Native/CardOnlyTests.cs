namespace SharpServe.Engine.Cuda.Tests.Native;

/// <summary>
/// What only a CUDA card has: cuBLAS (so prefill on the simulated device always runs the ILGPU tiles) and a free-memory
/// count for the startup log.
/// </summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class CardOnlyTests(SimulatedDevice device)
{
    [Fact]
    public void OnTheSimulatedDevice_PrefillTakesTheIlgpuTiles_SayingWhy()
    {
        using var backend = new CudaBackend(device.Accelerator, ownsAccelerator: false);

        Assert.Equal("ILGPU tiles (not a CUDA card)", backend.GemmDescription);
    }

    [Fact]
    public void OnTheSimulatedDevice_FreeMemoryIsRefusedByName()
    {
        using var backend = new CudaBackend(device.Accelerator, ownsAccelerator: false);

        var error = Assert.Throws<NotSupportedException>(() => backend.FreeMemoryBytes);
        Assert.EndsWith("does not report free memory; a CUDA card does", error.Message, StringComparison.Ordinal);
    }
}
