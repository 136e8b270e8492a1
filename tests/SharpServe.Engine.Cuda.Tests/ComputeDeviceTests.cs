using SharpServe.Engine.Creation;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Cuda.Tests.Models;

namespace SharpServe.Engine.Cuda.Tests;

/// <summary>
/// <c>--device</c> on this machine. CI machines have no NVIDIA driver: cuda must fail naming what is missing and auto must
/// fall back to the CPU saying why; where a driver and card exist (the device check), both must open the card.
/// </summary>
public sealed class ComputeDeviceTests
{
    private static readonly bool DriverInstalled = CudaDriver.Probe().Usable;

    [Fact]
    public void Cpu_IsTheCpuBackend()
    {
        using var checkpoint = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32));
        var device = ComputeDevice.Open("cpu", checkpoint, threads: 2);
        using var backend = device.Backend;

        Assert.IsType<CpuBackend>(backend);
        Assert.Equal("cpu, 2 threads", device.Description);
    }

    [Fact]
    public void Auto_TakesTheCardOrSaysWhyNot()
    {
        using var checkpoint = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32));
        var device = ComputeDevice.Open("auto", checkpoint, threads: 1);
        using var backend = device.Backend;

        if (DriverInstalled)
        {
            Assert.IsType<CudaBackend>(backend);
            Assert.StartsWith("cuda:0 ", device.Description, StringComparison.Ordinal);
            Assert.Contains(" MiB free at open, ", device.Description);
            Assert.InRange(((CudaBackend)backend).FreeMemoryBytes, 1, ((CudaBackend)backend).TotalMemoryBytes);
            Assert.Contains($"GEMM: {((CudaBackend)backend).GemmDescription}", device.Description);
            return;
        }

        Assert.IsType<CpuBackend>(backend);
        Assert.StartsWith("cpu (auto: no NVIDIA driver", device.Description, StringComparison.Ordinal);
        Assert.Contains("libcuda.so.1", device.Description);
    }

    [Fact]
    public void Cuda_WithoutADriver_FailsNamingWhatIsMissing()
    {
        if (DriverInstalled)
        {
            return; // the other branch of Auto_TakesTheCardOrSaysWhyNot covers this machine
        }

        using var checkpoint = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32));
        var error = Assert.Throws<ArgumentException>(() => ComputeDevice.Open("cuda", checkpoint, threads: 1));

        Assert.StartsWith("--device cuda: no NVIDIA driver", error.Message, StringComparison.Ordinal);
        Assert.Contains("libcuda.so.1", error.Message);
    }

    [Fact]
    public void TheCardLine_SaysTotalAndFreeMemoryInMiB_AndTheGemm()
    {
        var card = new CudaCard(0, "NVIDIA H100 80GB HBM3", 85_520_809_984, "SM_90");

        string line = ComputeDevice.Describe(card, freeBytes: 84_000_000_000, gemm: "cuBLAS (libcublas.so.13)");

        Assert.Equal("cuda:0 NVIDIA H100 80GB HBM3, 81559 MiB total, 80108 MiB free at open, SM_90, GEMM: cuBLAS (libcublas.so.13)", line);
    }

    [Fact]
    public void UnknownDevice_IsRefusedListingTheChoices()
    {
        using var checkpoint = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32));
        var error = Assert.Throws<ArgumentException>(() => ComputeDevice.Open("tpu", checkpoint, threads: 1));

        Assert.Equal("--device tpu: expected one of auto, cpu, cuda", error.Message);
    }

    [Fact]
    public void UnsupportedWeightTypes_AreNamed()
    {
        using var q4 = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.Q4_0));
        using var q8 = ModelLoader.Load(SmallModels.Write(ModelFileFormat.Gguf, TensorDType.Q8_0));

        Assert.Equal([TensorDType.Q4_0], CudaBackend.UnsupportedTypes(q4));
        Assert.Empty(CudaBackend.UnsupportedTypes(q8));
    }
}
