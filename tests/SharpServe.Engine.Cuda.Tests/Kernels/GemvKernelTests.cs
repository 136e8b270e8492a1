using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class GemvKernelTests(SimulatedDevice device)
{
    public static TheoryData<TensorDType, int, int, int, bool> Cases => new()
    {
        { TensorDType.F32, 37, 100, 1, true },    // odd rows (a group's last warps idle), columns not a multiple of 32
        { TensorDType.F16, 64, 64, 3, false },
        { TensorDType.BF16, 5, 1536, 2, true },
        { TensorDType.BF16, 130, 31, 1, false },  // fewer columns than lanes
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReferenceBitForBit_AndTheCpuBackend(TensorDType type, int rows, int columns, int tokens, bool withBias)
    {
        var (weights, bytes) = TestData.Store(TestData.Floats(rows * columns, 11), type);
        var x = TestData.Floats(tokens * columns, 12);
        float[] bias = withBias ? TestData.Floats(rows, 13) : [];
        using var dw = device.Upload(bytes);
        using var dx = device.Upload(x);
        using var dBias = device.Upload(bias.Length > 0 ? bias : [0f]);
        using var dy = device.Upload(new float[tokens * rows]);

        var biasView = withBias ? dBias.View : dBias.View.SubView(0, 0);
        device.Kernels.Gemv(device.Stream, type, dw.View, dx.View, biasView, dy.View, rows, columns, tokens);
        var actual = device.Download(dy);

        TestData.BitwiseEqual(KernelReferences.Gemv(weights, x, bias, rows, columns, tokens), actual);
        using var cpu = new CpuBackend(1);
        var expected = new float[tokens * rows];
        cpu.MatMul(new WeightTensor("w", type, [rows, columns], bytes), bias, x, expected, tokens);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-5, $"error {TestData.RelativeError(actual, expected)}");
    }

    [Fact]
    public void RefusesQuantizedWeightsNamingThem()
    {
        using var dw = device.Upload(new byte[34]);
        using var dx = device.Upload(new float[32]);
        using var dy = device.Upload(new float[1]);

        var error = Assert.Throws<NotSupportedException>(() =>
            device.Kernels.Gemv(device.Stream, TensorDType.Q4_K, dw.View, dx.View, dy.View.SubView(0, 0), dy.View, 1, 32, 1));
        Assert.Contains("Q4_K", error.Message);
    }
}
