using SharpServe.Engine.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class ElementwiseKernelTests(SimulatedDevice device)
{
    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(300_001)] // more elements than the launch has threads: the grid-stride loop must cover them
    public void Add_MatchesPlainSumBitForBit(int count)
    {
        var x = TestData.Floats(count, 1);
        var y = TestData.Floats(count, 2);
        using var dx = device.Upload(x);
        using var dy = device.Upload(y);

        device.Kernels.Add(device.Stream, dx.View, dy.View);

        TestData.BitwiseEqual(x.Zip(y, (a, b) => a + b).ToArray(), device.Download(dx));
    }

    [Theory]
    [InlineData(5, 7)]
    [InlineData(17, 300)] // more elements than the launch has threads
    public void AddBias_AddsEachRowsBiasToEveryToken(int tokens, int rows)
    {
        var y = TestData.Floats(tokens * rows, 5, 10f); // [tokens, rows]
        var bias = TestData.Floats(rows, 6);           // [rows]
        using var dy = device.Upload(y);
        using var dBias = device.Upload(bias);

        device.Kernels.AddBias(device.Stream, dy.View, dBias.View);

        TestData.BitwiseEqual(y.Select((v, i) => v + bias[i % rows]).ToArray(), device.Download(dy));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(4099)]
    public void SiluMul_MatchesTheCpuFormulaBitForBit_AndTheCpuBackend(int count)
    {
        var gate = TestData.Floats(count, 3, 8f);
        var up = TestData.Floats(count, 4, 2f);
        using var dGate = device.Upload(gate);
        using var dUp = device.Upload(up);
        using var dy = device.Upload(new float[count]);

        device.Kernels.SiluMul(device.Stream, dGate.View, dUp.View, dy.View);
        var actual = device.Download(dy);

        TestData.BitwiseEqual(gate.Select((g, i) => g / (1f + MathF.Exp(-g)) * up[i]).ToArray(), actual);
        using var cpu = new CpuBackend(1);
        var expected = new float[count];
        cpu.SiluMul(gate, up, expected);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-6);
    }

    [Fact]
    public void GatherRows_CopiesTheListedRowsInOrder_AndMatchesTheCpuBackend()
    {
        const int width = 37;
        var source = TestData.Floats(9 * width, 5);
        int[] rows = [8, 0, 3, 3, 6];
        using var dSource = device.Upload(source);
        using var dRows = device.Upload(rows);
        using var dDestination = device.Upload(new float[rows.Length * width]);

        device.Kernels.GatherRows(device.Stream, dSource.View, dRows.View, dDestination.View, width);

        var expected = rows.SelectMany(r => source.Skip(r * width).Take(width)).ToArray();
        TestData.BitwiseEqual(expected, device.Download(dDestination));
    }
}
