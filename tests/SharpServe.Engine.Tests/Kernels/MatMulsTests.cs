using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.Awq;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// <see cref="IComputeBackend.MatMuls"/> on the CPU: several weights over one input, their rows split across threads as one
/// run, must give every output bit for bit what its own <see cref="CpuBackend.MatMul"/> gives (which MatMulTests holds to
/// the references), through every path: decode and batched GEMV, the Q8_0 tiles, the panel GEMMs, the tiled f32 GEMM, and
/// a mixed set that runs as one job per dtype.
/// </summary>
public sealed class MatMulsTests
{
    /// <summary>
    /// 1 and 3 tokens: GEMV; 6: the Q8_0 four-token tiles and row blocks; 20: f32/f16/bf16 tiled GEMM; 40: the panel GEMMs;
    /// 130: past the tiled GEMM's 128-token block, whose packed x the weights share.
    /// </summary>
    private static readonly int[] TokenCounts = [1, 3, 6, 20, 40, 130];

    /// <summary>Row counts whose two-thread split falls inside the first, the middle and the last weight, and on a boundary.</summary>
    private static readonly int[][] RowSets = [[37, 5, 3], [5, 37, 3], [3, 5, 37], [8, 8], [1, 1, 1]];

    [Theory]
    [MemberData(nameof(MatMulTests.TiersAndTypes), MemberType = typeof(MatMulTests))]
    public void EachOutputEqualsItsOwnMatMul(SimdTier tier, TensorDType type)
    {
        var random = new Random(77 + (int)type);
        int columns = type is TensorDType.Q4_K or TensorDType.Q6_K ? 512 : TensorDTypeInfo.IsQuantized(type) ? 96 : 100;
        foreach (int threads in new[] { 1, 2 })
        {
            using var backend = new CpuBackend(threads, tier);
            foreach (var rowSet in RowSets)
            {
                var weights = rowSet.Select(rows => RandomWeight(random, type, rows, columns, out _)).ToArray();
                foreach (int tokens in TokenCounts)
                {
                    AssertMatchesSeparateCalls(backend, weights, random, tokens, $"{tier} {type} threads {threads} rows [{string.Join(", ", rowSet)}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void Awq4OutputsEqualTheirOwnMatMuls(SimdTier tier)
    {
        var random = new Random(8);
        var weights = new[] { 24, 8, 16 }.Select(rows =>
        {
            var (qweight, qzeros, scales, _) = AwqReference.Random(random, rows, 256);
            return AwqRepacker.Repack("p.weight", qweight, qzeros, scales, "test");
        }).ToArray();
        foreach (int threads in new[] { 1, 2 })
        {
            using var backend = new CpuBackend(threads, tier);
            foreach (int tokens in TokenCounts)
            {
                AssertMatchesSeparateCalls(backend, weights, random, tokens, $"{tier} Awq4 threads {threads}");
            }
        }
    }

    /// <summary>A Q4_K_M layer's q and k are Q4_K and its v may be Q6_K: one job per dtype, each output still its own matmul's.</summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void MixedDTypesRunAsOneJobPerDType(SimdTier tier)
    {
        var random = new Random(9);
        var weights = new[]
        {
            RandomWeight(random, TensorDType.Q4_K, 21, 256, out _),
            RandomWeight(random, TensorDType.Q6_K, 6, 256, out _),
            RandomWeight(random, TensorDType.Q4_K, 5, 256, out _),
            RandomWeight(random, TensorDType.F32, 3, 256, out _),
        };
        using var backend = new CpuBackend(2, tier);
        foreach (int tokens in TokenCounts)
        {
            AssertMatchesSeparateCalls(backend, weights, random, tokens, $"{tier} mixed");
        }
    }

    [Fact]
    public void RejectsWeightsOfDifferentInputWidthsAndShortOutputs_WritingNothing()
    {
        var random = new Random(10);
        using IComputeBackend backend = new CpuBackend(2);
        var x = Filled(backend, RandomFloats(random, 2 * 64));
        var wide = RandomWeight(random, TensorDType.F32, 4, 64, out _);
        var narrow = RandomWeight(random, TensorDType.F32, 4, 32, out _);
        var y1 = backend.Allocate(8);
        var y2 = backend.Allocate(8);

        var e = Assert.Throws<ArgumentException>(() => backend.MatMuls(All(x), 2, [new(wide, [], All(y1)), new(narrow, [], All(y2))]));
        Assert.Contains("one in-dimension", e.Message, StringComparison.Ordinal);

        var shortOutput = backend.Allocate(7);
        Assert.Throws<ArgumentException>(() => backend.MatMuls(All(x), 2, [new(wide, [], All(y1)), new(wide, [], All(shortOutput))]));
        Assert.Throws<ArgumentException>(() => backend.MatMuls(All(x), 2, [new(wide, new float[3], All(y1))]));
        Assert.All(((HostActivations)y1).Array, value => Assert.Equal(0f, value));

        backend.MatMuls(All(x), 2, []);
        backend.MatMuls(All(x), 0, [new(wide, [], All(y1))]);
        Assert.All(((HostActivations)y1).Array, value => Assert.Equal(0f, value));
    }

    private static void AssertMatchesSeparateCalls(CpuBackend backend, WeightTensor[] weights, Random random, int tokens, string context)
    {
        IComputeBackend seam = backend;
        int columns = weights[0].Columns;
        var xValues = RandomFloats(random, tokens * columns);
        var x = Filled(seam, xValues);
        var biases = weights.Select((w, i) => i % 2 == 0 ? RandomFloats(random, w.Rows) : []).ToArray();
        var outputs = weights.Select(w => seam.Allocate(tokens * w.Rows)).ToArray();
        var projections = weights.Select((w, i) => new Projection(w, biases[i], All(outputs[i]))).ToArray();

        seam.MatMuls(All(x), tokens, projections);

        for (int i = 0; i < weights.Length; i++)
        {
            var expected = new float[tokens * weights[i].Rows];
            backend.MatMul(weights[i], biases[i], xValues, expected, tokens);
            AssertBitwiseEqual(expected, ((HostActivations)outputs[i]).Array, $"{context} tokens {tokens} weight {i}");
        }
    }

    private static ActivationBuffer Filled(IComputeBackend backend, float[] values)
    {
        var buffer = backend.Allocate(values.Length);
        values.CopyTo(((HostActivations)buffer).Array, 0);
        return buffer;
    }

    private static Activations All(ActivationBuffer buffer) => buffer.Slice(0, buffer.Length);
}
