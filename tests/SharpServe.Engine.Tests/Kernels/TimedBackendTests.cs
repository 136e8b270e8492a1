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

    [Fact]
    public void CountsAFusedMatMulsUnderItsWeightsJoinedName()
    {
        var random = new Random(6);
        const int Columns = 32, Tokens = 2;
        var q = F32Weight("blk.0.attn_q.weight", RandomFloats(random, 4 * Columns, 1f), 4, Columns);
        var k = F32Weight("blk.0.attn_k.weight", RandomFloats(random, 2 * Columns, 1f), 2, Columns);
        var x = RandomFloats(random, Tokens * Columns, 1f);
        using var plain = new CpuBackend(1);
        var expectedQ = new float[Tokens * 4];
        var expectedK = new float[Tokens * 2];
        plain.MatMul(q, [], x, expectedQ, Tokens);
        plain.MatMul(k, [], x, expectedK, Tokens);

        using var timed = new TimedBackend(new CpuBackend(1));
        var input = (HostActivations)timed.Allocate(x.Length);
        x.CopyTo(input.Array, 0);
        var yq = (HostActivations)timed.Allocate(Tokens * 4);
        var yk = (HostActivations)timed.Allocate(Tokens * 2);
        timed.MatMuls(All(input), Tokens, [new(q, [], All(yq)), new(k, [], All(yk))]);
        timed.MatMuls(All(input), Tokens, [new(q, [], All(yq)), new(k, [], All(yk))]);

        Assert.Equal(expectedQ, yq.Array);
        Assert.Equal(expectedK, yk.Array);
        var total = Assert.Single(timed.Totals);
        Assert.Equal("matmul blk.*.attn_q.weight + attn_k.weight", total.Key);
        Assert.Equal(2, total.Value.Calls);
    }

    private static Activations All(ActivationBuffer buffer) => buffer.Slice(0, buffer.Length);

    private static WeightTensor F32Weight(string name, float[] values, int rows, int columns) =>
        new(name, TensorDType.F32, [rows, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
