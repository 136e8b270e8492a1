using System.Runtime.InteropServices;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>The stopwatch decorator of the compute seam: the same results as the backend it wraps, and one total per operation.</summary>
public sealed class TimedBackendTests
{
    [Fact]
    public void ForwardsEveryCall_AndCountsMatMulsPerWeightWithLayerNumbersFolded()
    {
        var random = new Random(5);
        const int Rows = 7, Columns = 64, Tokens = 3;
        var values = RandomFloats(random, Rows * Columns, 1f);
        var layer2 = F32Weight("blk.2.ffn_up.weight", values, Rows, Columns);
        var layer13 = F32Weight("blk.13.ffn_up.weight", values, Rows, Columns);
        var x = RandomFloats(random, Tokens * Columns, 1f);
        var norm = RandomFloats(random, Columns, 1f);

        using var plain = new CpuBackend(1);
        var expected = new float[Tokens * Rows];
        plain.MatMul(layer2, [], x, expected, Tokens);
        var expectedNormed = new float[x.Length];
        plain.RmsNorm(x, norm, 1e-6f, expectedNormed, Tokens);

        using var timed = new TimedBackend(new CpuBackend(1));
        var input = (HostActivations)timed.Allocate(x.Length);
        x.CopyTo(input.Array, 0);
        var y2 = (HostActivations)timed.Allocate(Tokens * Rows);
        var y13 = (HostActivations)timed.Allocate(Tokens * Rows);
        var normed = (HostActivations)timed.Allocate(x.Length);
        timed.MatMul(layer2, [], All(input), All(y2), Tokens);
        timed.MatMul(layer13, [], All(input), All(y13), Tokens);
        timed.RmsNorm(All(input), norm, 1e-6f, All(normed), Tokens);

        Assert.Equal(expected, y2.Array);
        Assert.Equal(expected, y13.Array);
        Assert.Equal(expectedNormed, normed.Array);
        Assert.Equal(["matmul blk.*.ffn_up.weight", "rms_norm"], timed.Totals.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, timed.Totals["matmul blk.*.ffn_up.weight"].Calls);
        Assert.Equal(1, timed.Totals["rms_norm"].Calls);
        Assert.True(timed.Totals["rms_norm"].Elapsed > TimeSpan.Zero);

        timed.Reset();
        Assert.Empty(timed.Totals);
    }

    private static Activations All(ActivationBuffer buffer) => buffer.Slice(0, buffer.Length);

    private static WeightTensor F32Weight(string name, float[] values, int rows, int columns) =>
        new(name, TensorDType.F32, [rows, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
