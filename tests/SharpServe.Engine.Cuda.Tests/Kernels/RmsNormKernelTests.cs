using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class RmsNormKernelTests(SimulatedDevice device)
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(3, 200)]   // not a multiple of the group
    [InlineData(2, 1536)]  // r1-distill hidden size: six elements a thread
    public void MatchesReferenceBitForBit_AndTheCpuBackend(int tokens, int dim)
    {
        var x = TestData.Floats(tokens * dim, 5, 3f);
        var weight = TestData.Floats(dim, 6);
        using var dx = device.Upload(x);
        using var dw = device.Upload(weight);
        using var dy = device.Upload(new float[tokens * dim]);

        device.Kernels.RmsNorm(device.Stream, dx.View, dw.View, dy.View, tokens, dim, 1e-6f);
        var actual = device.Download(dy);

        TestData.BitwiseEqual(KernelReferences.RmsNorm(x, weight, tokens, dim, 1e-6f, RmsNormKernel.GroupSize), actual);
        using var cpu = new CpuBackend(1);
        var expected = new float[tokens * dim];
        cpu.RmsNorm(x, weight, 1e-6f, expected, tokens);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-6);
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        var x = TestData.Floats(2 * 300, 7);
        var weight = TestData.Floats(300, 8);
        using var dx = device.Upload(x);
        using var dw = device.Upload(weight);

        device.Kernels.RmsNorm(device.Stream, dx.View, dw.View, dx.View, 2, 300, 1e-6f);

        TestData.BitwiseEqual(KernelReferences.RmsNorm(x, weight, 2, 300, 1e-6f, RmsNormKernel.GroupSize), device.Download(dx));
    }
}
