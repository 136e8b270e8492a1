using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Awq;

/// <summary>
/// The Awq4 matmul (AutoAWQ tensors repacked at load, then integer dots on Q8_0 activations) against plain f32 math on
/// the dequantized weights, written element by element from the AutoAWQ layout (<see cref="AwqReference"/>).
/// </summary>
public sealed class AwqMatMulTests
{
    // 33 and 70 take the int8 panel GEMM (from CpuKernels.PanelMinTokens tokens), the rest the four-row tiles.
    private static readonly int[] TokenCounts = [1, 2, 3, 5, 7, 17, 33, 70];

    public static TheoryData<SimdTier> Tiers()
    {
        var data = new TheoryData<SimdTier>();
        foreach (var tier in SimdTiers.Supported)
        {
            data.Add(tier);
        }

        return data;
    }

    /// <summary>
    /// The kernel rounds each 32-value activation block to q·d (d = amax/127 stored as fp16), off by at most d/2 plus
    /// 127·d·2^-11 from the fp16 rounding of d; everything else is exact integer math and f32 accumulation. So each output
    /// may differ from f32 math by Σ |w_i|·0.57·d_block(i), plus f32 accumulation noise (1e-5 of Σ |w_i·x_i|).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers))]
    public void MatchesDequantizedF32WithinActivationRounding(SimdTier tier)
    {
        var random = new Random(11);
        using var backend = new CpuBackend(2, tier);
        foreach (var (rows, columns) in new[] { (8, 128), (40, 384), (24, 1024) })
        {
            var (qweight, qzeros, scales, w) = AwqReference.Random(random, rows, columns);
            var weight = AwqRepacker.Repack("p.weight", qweight, qzeros, scales, "test");
            var bias = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            foreach (int tokens in TokenCounts)
            {
                var x = Enumerable.Range(0, tokens * columns).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
                var y = new float[tokens * rows];
                backend.MatMul(weight, bias, x, y, tokens);
                for (int t = 0; t < tokens; t++)
                {
                    var xt = x.AsSpan(t * columns, columns);
                    for (int r = 0; r < rows; r++)
                    {
                        double exact = bias[r], bound = 1e-6, magnitude = 0;
                        for (int i = 0; i < columns; i++)
                        {
                            float wi = w[(r * columns) + i];
                            exact += (double)wi * xt[i];
                            magnitude += Math.Abs((double)wi * xt[i]);
                            bound += Math.Abs(wi) * 0.57 * BlockAbsMax(xt, i / 32) / 127;
                        }

                        bound += 1e-5 * magnitude;
                        double diff = Math.Abs(y[(t * rows) + r] - exact);
                        Assert.True(diff <= bound, $"{tier} {rows}×{columns}, {tokens} tokens, y[{t}, {r}] = {y[(t * rows) + r]}, f32 math {exact}, |Δ| {diff} > {bound}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Below the panel GEMM every token count is streamed in ggml's Q4_0 order with AWQ's zero (<see cref="AwqReference.MatMul"/>),
    /// bit for bit: the four-row tiles and, for one token on AVX-512 with VBMI and GFNI, the two-rows-a-register tiles.
    /// Odd group counts (3, 5), one to three threads (row ranges of 13–20: short last tiles of the eight-row tile) and
    /// with and without bias.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers))]
    public void MatchesGgmlOrderBitForBit(SimdTier tier)
    {
        var random = new Random(17);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var backend = new CpuBackend(threads, tier);
            foreach (var (rows, columns) in new[] { (8, 384), (40, 640), (16, 128) })
            {
                var (qweight, qzeros, scales, _) = AwqReference.Random(random, rows, columns);
                var weight = AwqRepacker.Repack("p.weight", qweight, qzeros, scales, "test");
                foreach (int tokens in new[] { 1, 2, 5 })
                {
                    var bias = tokens == 2 ? [] : Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
                    var x = Enumerable.Range(0, tokens * columns).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
                    var y = new float[tokens * rows];
                    backend.MatMul(weight, bias, x, y, tokens);
                    var expected = AwqReference.MatMul(qweight, qzeros, scales, bias, x, tokens);
                    for (int i = 0; i < y.Length; i++)
                    {
                        Assert.True(
                            BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                            $"{tier}, {threads} threads, {rows}×{columns}, {tokens} tokens: y[{i / rows}, {i % rows}] = {y[i]}, ggml order {expected[i]}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// x = 127·e_t quantizes exactly (d = 1, q = 127), so y[t, o] = 127·s·(q − z) rounded once: the matmul reads every
    /// weight back at the place the AutoAWQ layout gives it. Feeding all `in` one-hot rows at once also covers the
    /// multi-token path (the panel GEMM's interleaved layout).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers))]
    public void OneHotRowsReadBackEveryWeightExactly(SimdTier tier)
    {
        const int rows = 24, columns = 256;
        var (qweight, qzeros, scales, w) = AwqReference.Random(new Random(5), rows, columns);
        var weight = AwqRepacker.Repack("p.weight", qweight, qzeros, scales, "test");
        using var backend = new CpuBackend(2, tier);
        foreach (int tokens in new[] { 1, columns })
        {
            var x = new float[tokens * columns];
            for (int t = 0; t < tokens; t++)
            {
                x[(t * columns) + t] = 127f;
            }

            var y = new float[tokens * rows];
            backend.MatMul(weight, [], x, y, tokens);
            for (int t = 0; t < tokens; t++)
            {
                for (int o = 0; o < rows; o++)
                {
                    float expected = (float)((double)w[(o * columns) + t] * 127);
                    Assert.True(
                        Math.Abs(y[(t * rows) + o] - expected) <= 1e-6f * Math.Abs(expected),
                        $"{tier}, {tokens} tokens: W[{o}, {t}]·127 expected {expected}, got {y[(t * rows) + o]}");
                }
            }
        }
    }

    [Fact]
    public void RepackRefusesTensorsThatDoNotFitTogether()
    {
        var (qweight, qzeros, scales, _) = AwqReference.Random(new Random(1), 16, 256);
        var wrongScales = new WeightTensor("p.scales", TensorDType.F16, [2, 8], new byte[32]);
        var e = Assert.Throws<ModelFormatException>(() => AwqRepacker.Repack("p.weight", qweight, qzeros, wrongScales, "m"));
        Assert.Contains("do not fit", e.Message, StringComparison.Ordinal);

        var floatScales = new WeightTensor("p.scales", TensorDType.F32, [2, 16], new byte[128]);
        e = Assert.Throws<ModelFormatException>(() => AwqRepacker.Repack("p.weight", qweight, qzeros, floatScales, "m"));
        Assert.Contains("F16", e.Message, StringComparison.Ordinal);

        var partialGroup = new WeightTensor("p.qweight", TensorDType.I32, [200, 2], new byte[1600]);
        e = Assert.Throws<ModelFormatException>(() => AwqRepacker.Repack("p.weight", partialGroup, qzeros, scales, "m"));
        Assert.Contains("not whole groups of 128", e.Message, StringComparison.Ordinal);
    }

    private static double BlockAbsMax(ReadOnlySpan<float> x, int block)
    {
        float max = 0;
        foreach (float v in x.Slice(block * 32, 32))
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }
}
