using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class GemmKernelTests(SimulatedDevice device)
{
    public static TheoryData<TensorDType, int, int, int, bool> Cases => new()
    {
        { TensorDType.F32, 37, 100, 45, true },   // partial tiles in rows, columns and tokens
        { TensorDType.F16, 32, 64, 32, false },   // exactly one tile
        { TensorDType.BF16, 70, 1536, 33, true }, // r1-distill's hidden size as the inner dimension
        { TensorDType.BF16, 5, 7, 3, false },     // smaller than one tile everywhere
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachOutputIsTheSequentialDotProduct_AndMatchesTheCpuBackend(TensorDType type, int rows, int columns, int tokens, bool withBias)
    {
        var (weights, bytes) = TestData.Store(TestData.Floats(rows * columns, 24), type);
        var x = TestData.Floats(tokens * columns, 25);
        float[] bias = withBias ? TestData.Floats(rows, 26) : [];
        using var dw = device.Upload(bytes);
        using var dx = device.Upload(x);
        using var dBias = device.Upload(withBias ? bias : [0f]);
        using var dy = device.Upload(new float[tokens * rows]);

        device.Kernels.Gemm(device.Stream, type, dw.View, dx.View, withBias ? dBias.View : dBias.View.SubView(0, 0), dy.View, rows, columns, tokens);
        var actual = device.Download(dy);

        var expected = new float[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                float sum = 0;
                for (int i = 0; i < columns; i++)
                {
                    sum += weights[(r * columns) + i] * x[(t * columns) + i];
                }

                expected[(t * rows) + r] = withBias ? sum + bias[r] : sum;
            }
        }

        TestData.BitwiseEqual(expected, actual);
        using var cpu = new CpuBackend(1);
        var cpuResult = new float[tokens * rows];
        cpu.MatMul(new WeightTensor("w", type, [rows, columns], bytes), bias, x, cpuResult, tokens);
        Assert.True(TestData.RelativeError(actual, cpuResult) < 1e-5, $"error {TestData.RelativeError(actual, cpuResult)}");
    }
}
