using SharpServe.Engine.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class RopeKernelTests(SimulatedDevice device)
{
    [Theory]
    [InlineData(16, 4)]
    [InlineData(128, 12)]
    public void MatchesReferenceBitForBit_AndTheCpuBackendAtLargePositions(int headDim, int heads)
    {
        int[] positions = [0, 1, 17, 4095, 100_000, 131_071];
        var x = TestData.Floats(positions.Length * heads * headDim, 9);
        using var dx = device.Upload(x);
        using var dPositions = device.Upload(positions);

        device.Kernels.Rope(device.Stream, dx.View, dPositions.View, heads, headDim, 10000f);
        var actual = device.Download(dx);

        var reference = (float[])x.Clone();
        KernelReferences.Rope(reference, positions, heads, headDim, 10000f);
        TestData.BitwiseEqual(reference, actual);

        // The CPU engine takes cos/sin of the unreduced angle; the reduction moves results by float rounding only.
        using var cpu = new CpuBackend(1);
        var expected = (float[])x.Clone();
        cpu.Rope(expected, positions, heads, headDim, 10000f);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-5, $"error {TestData.RelativeError(actual, expected)}");
    }
}
