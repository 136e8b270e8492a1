using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class Q8KernelTests(SimulatedDevice device)
{
    [Fact]
    public void Quantize_MatchesTheCpuEnginesActivationRounding()
    {
        const int Tokens = 3;
        const int Columns = 96;
        var x = TestData.Floats(Tokens * Columns, 20, 5f);
        x.AsSpan(32, 32).Clear(); // an all-zero block: scale 0, quants 0
        // A block with amax 127 (scale 1): its halves must round to even, as vcvtps2dq does, not away from zero.
        float[] halves = [127f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f];
        halves.CopyTo(x, 64);
        using var dx = device.Upload(x);
        using var quants = device.Upload(new sbyte[Tokens * Columns]);
        using var scales = device.Upload(new float[Tokens * Columns / 32]);

        device.Kernels.QuantizeQ8(device.Stream, dx.View, quants.View, scales.View);

        var (expectedQuants, expectedScales) = Quantize(x);
        Assert.Equal(expectedQuants, device.Download(quants));
        TestData.BitwiseEqual(expectedScales, device.Download(scales));
    }

    [Theory]
    [InlineData(37, 64, 1, true)]
    [InlineData(8, 1536, 3, false)]  // 48 blocks: lanes 0…15 take two
    [InlineData(5, 2048, 2, true)]
    public void Gemv_MatchesReferenceBitForBit_AndTheCpuBackend(int rows, int columns, int tokens, bool withBias)
    {
        var weights = RandomQ8Weights(rows, columns, seed: 21);
        var x = TestData.Floats(tokens * columns, 22, 3f);
        float[] bias = withBias ? TestData.Floats(rows, 23) : [];
        using var dw = device.Upload(weights);
        using var dx = device.Upload(x);
        using var quants = device.Upload(new sbyte[tokens * columns]);
        using var scales = device.Upload(new float[tokens * columns / 32]);
        using var dBias = device.Upload(withBias ? bias : [0f]);
        using var dy = device.Upload(new float[tokens * rows]);

        device.Kernels.QuantizeQ8(device.Stream, dx.View, quants.View, scales.View);
        device.Kernels.GemvQ8(device.Stream, dw.View, quants.View, scales.View, withBias ? dBias.View : dBias.View.SubView(0, 0), dy.View, rows, columns, tokens);
        var actual = device.Download(dy);

        TestData.BitwiseEqual(Reference(weights, x, bias, rows, columns, tokens), actual);
        using var cpu = new CpuBackend(1);
        var expected = new float[tokens * rows];
        cpu.MatMul(new WeightTensor("w", TensorDType.Q8_0, [rows, columns], weights), bias, x, expected, tokens);
        Assert.True(TestData.RelativeError(actual, expected) < 1e-5, $"error {TestData.RelativeError(actual, expected)}");
    }

    [Fact]
    public void Embedding_DequantizesTheRowsExactlyAsTheCpuBackend()
    {
        const int Vocab = 9;
        const int Columns = 96;
        var table = RandomQ8Weights(Vocab, Columns, seed: 27);
        int[] ids = [8, 0, 3, 3];
        using var dTable = device.Upload(table);
        using var dIds = device.Upload(ids);
        using var dy = device.Upload(new float[ids.Length * Columns]);

        device.Kernels.Embedding(device.Stream, TensorDType.Q8_0, dTable.View, dIds.View, dy.View, Columns);

        using var cpu = new CpuBackend(1);
        var expected = new float[ids.Length * Columns];
        cpu.EmbeddingLookup(new WeightTensor("table", TensorDType.Q8_0, [Vocab, Columns], table), ids, expected);
        TestData.BitwiseEqual(expected, device.Download(dy));
    }

    /// <summary>The CPU engine's activation quantizer: d = fp16(amax / 127), q = round-half-even(x · 127 / amax).</summary>
    private static (sbyte[] Quants, float[] Scales) Quantize(float[] x)
    {
        var quants = new sbyte[x.Length];
        var scales = new float[x.Length / 32];
        for (int b = 0; b < scales.Length; b++)
        {
            float amax = 0;
            for (int i = 0; i < 32; i++)
            {
                amax = MathF.Max(amax, MathF.Abs(x[(b * 32) + i]));
            }

            float inverse = amax != 0 ? 127f / amax : 0f;
            scales[b] = (float)(Half)(amax / 127f);
            for (int i = 0; i < 32; i++)
            {
                quants[(b * 32) + i] = (sbyte)MathF.Round(x[(b * 32) + i] * inverse, MidpointRounding.ToEven);
            }
        }

        return (quants, scales);
    }

    /// <summary>The kernel's order: lane l sums blocks l, l + 32, … as (d_w · d_x) · Σq·q, then the warp butterfly.</summary>
    private static float[] Reference(byte[] weights, float[] x, float[] bias, int rows, int columns, int tokens)
    {
        var (quants, scales) = Quantize(x);
        int blocks = columns / 32;
        var y = new float[tokens * rows];
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                var lanes = new float[KernelReferences.Lanes];
                for (int b = 0; b < blocks; b++)
                {
                    int block = ((r * blocks) + b) * 34;
                    float d = (float)BitConverter.UInt16BitsToHalf((ushort)(weights[block] | (weights[block + 1] << 8)));
                    int dot = 0;
                    for (int i = 0; i < 32; i++)
                    {
                        dot += (sbyte)weights[block + 2 + i] * quants[(t * columns) + (b * 32) + i];
                    }

                    lanes[b % KernelReferences.Lanes] += d * scales[(t * blocks) + b] * dot;
                }

                float sum = KernelReferences.WarpSum(lanes);
                y[(t * rows) + r] = bias.Length > 0 ? sum + bias[r] : sum;
            }
        }

        return y;
    }

    private static byte[] RandomQ8Weights(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[rows * (columns / 32) * 34];
        for (int block = 0; block < bytes.Length; block += 34)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(block, 2), BitConverter.HalfToUInt16Bits((Half)(0.001f + (random.NextSingle() * 0.02f))));
            for (int i = 0; i < 32; i++)
            {
                bytes[block + 2 + i] = (byte)(sbyte)random.Next(-127, 128);
            }
        }

        return bytes;
    }
}
