namespace SharpServe.Engine.Cuda.Tests.Native;

/// <summary>Which GEMM prefill takes: cuBLAS only on a CUDA card, so the simulated device always runs the ILGPU tiles.</summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class GemmChoiceTests(SimulatedDevice device)
{
    [Fact]
    public void OnTheSimulatedDevice_PrefillTakesTheIlgpuTiles_SayingWhy()
    {
        using var backend = new CudaBackend(device.Accelerator, ownsAccelerator: false);

        Assert.Equal("ILGPU tiles (not a CUDA card)", backend.GemmDescription);
    }
}
