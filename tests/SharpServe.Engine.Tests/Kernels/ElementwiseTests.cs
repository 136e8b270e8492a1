using System.Runtime.InteropServices;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>RmsNorm, Rope, SiluMul, Add, EmbeddingLookup and StoreKv against scalar references, every tier.</summary>
public sealed class ElementwiseTests
{
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void RmsNormMatchesReference(SimdTier tier)
    {
        var random = new Random(21);
        using var backend = new CpuBackend(1, tier);
        foreach (int dim in new[] { 1, 7, 100, 1536 })
        {
            const int Tokens = 3;
            var x = RandomFloats(random, Tokens * dim, 5f);
            var weight = RandomFloats(random, dim, 2f);
            var y = new float[x.Length];
            backend.RmsNorm(x, weight, 1e-6f, y, Tokens);
            var inPlace = (float[])x.Clone();
            backend.RmsNorm(inPlace, weight, 1e-6f, inPlace, Tokens);

            for (int t = 0; t < Tokens; t++)
            {
                double sum = 0;
                for (int i = 0; i < dim; i++)
                {
                    sum += (double)x[(t * dim) + i] * x[(t * dim) + i];
                }

                double scale = 1 / Math.Sqrt((sum / dim) + 1e-6);
                for (int i = 0; i < dim; i++)
                {
                    double expected = x[(t * dim) + i] * scale * weight[i];
                    AssertClose(expected, y[(t * dim) + i], 1e-6 * Math.Abs(expected), $"{tier} dim {dim} y[{t}, {i}]");
                    Assert.Equal(y[(t * dim) + i], inPlace[(t * dim) + i]);
                }
            }
        }
    }

    /// <summary>
    /// Bit-level agreement with llama.cpp's angle recurrence (f32 pos · step^j, cosf/sinf), and closeness to the
    /// exact double-precision angles within that recurrence's own rounding, (2j + 2)·2⁻²⁴ relative.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void RopeMatchesLlamaCppAnglesAndExactMath(SimdTier tier)
    {
        var random = new Random(8);
        int[] positions = [0, 1, 7, 100, 4095, 4096, 30000];
        using var backend = new CpuBackend(1, tier);
        foreach (var (headDim, theta) in new[] { (2, 10000f), (8, 10000f), (34, 10000f), (128, 10000f), (128, 1000000f) })
        {
            const int Heads = 3;
            var x = RandomFloats(random, positions.Length * Heads * headDim);
            var rotated = (float[])x.Clone();
            backend.Rope(rotated, positions, Heads, headDim, theta);

            int half = headDim / 2;
            float step = MathF.Pow(theta, -2f / headDim);
            for (int t = 0; t < positions.Length; t++)
            {
                float angle = positions[t];
                for (int j = 0; j < half; j++, angle *= step)
                {
                    double exactAngle = positions[t] * Math.Pow(theta, -2.0 * j / headDim);
                    double angleError = Math.Abs(exactAngle) * (2 * j + 2) * Math.Pow(2, -24);
                    for (int h = 0; h < Heads; h++)
                    {
                        int i0 = (((t * Heads) + h) * headDim) + j;
                        float x0 = x[i0], x1 = x[i0 + half];
                        string context = $"{tier} d {headDim} theta {theta} pos {positions[t]} head {h} j {j}";

                        AssertClose((x0 * MathF.Cos(angle)) - (x1 * MathF.Sin(angle)), rotated[i0], 1e-6, context);
                        AssertClose((x0 * MathF.Sin(angle)) + (x1 * MathF.Cos(angle)), rotated[i0 + half], 1e-6, context);

                        double bound = (angleError * (Math.Abs(x0) + Math.Abs(x1))) + 1e-6;
                        AssertClose((x0 * Math.Cos(exactAngle)) - (x1 * Math.Sin(exactAngle)), rotated[i0], bound, context + " (exact)");
                        AssertClose((x0 * Math.Sin(exactAngle)) + (x1 * Math.Cos(exactAngle)), rotated[i0 + half], bound, context + " (exact)");
                    }
                }
            }
        }
    }

    /// <summary>
    /// SiluMul, RmsNorm and Rope split across two threads (SiluMul from 32K elements, by whole vectors; the others by
    /// tokens) give one thread's bits: sizes whose halves are not whole vectors, and more threads than tokens.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void TwoThreadsGiveOneThreadsBits(SimdTier tier)
    {
        var random = new Random(8);
        using var one = new CpuBackend(1, tier);
        using var two = new CpuBackend(2, tier);
        foreach (int n in new[] { 1000, 40_007, 70_001 })
        {
            var gate = RandomFloats(random, n, 20f);
            var up = RandomFloats(random, n, 3f);
            var (y1, y2) = (new float[n], new float[n]);
            one.SiluMul(gate, up, y1);
            two.SiluMul(gate, up, y2);
            Assert.Equal(y1.Select(BitConverter.SingleToInt32Bits), y2.Select(BitConverter.SingleToInt32Bits));
        }

        foreach (int tokens in new[] { 1, 5, 33 })
        {
            const int Dim = 96, Heads = 3, HeadDim = 32;
            var x = RandomFloats(random, tokens * Dim, 5f);
            var weight = RandomFloats(random, Dim, 2f);
            var (y1, y2) = (new float[x.Length], new float[x.Length]);
            one.RmsNorm(x, weight, 1e-6f, y1, tokens);
            two.RmsNorm(x, weight, 1e-6f, y2, tokens);
            Assert.Equal(y1.Select(BitConverter.SingleToInt32Bits), y2.Select(BitConverter.SingleToInt32Bits));

            var positions = Enumerable.Range(0, tokens).Select(t => (t * 37) + 3).ToArray();
            var (r1, r2) = ((float[])x.Clone(), (float[])x.Clone());
            one.Rope(r1, positions, Heads, HeadDim, 1e6f);
            two.Rope(r2, positions, Heads, HeadDim, 1e6f);
            Assert.Equal(r1.Select(BitConverter.SingleToInt32Bits), r2.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void SiluMulAndAddMatchReference(SimdTier tier)
    {
        var random = new Random(4);
        using var backend = new CpuBackend(1, tier);
        foreach (int n in new[] { 1, 15, 16, 17, 1000 })
        {
            var gate = RandomFloats(random, n, 20f);
            gate[0] = n > 1 ? -1000f : gate[0];   // exp(1000) overflows: silu must still be −0, not NaN
            var up = RandomFloats(random, n, 3f);
            var y = new float[n];
            backend.SiluMul(gate, up, y);
            for (int i = 0; i < n; i++)
            {
                double expected = gate[i] / (1 + Math.Exp(-(double)gate[i])) * up[i];
                AssertClose(expected, y[i], (2e-6 * Math.Abs(expected)) + 1e-30, $"{tier} silu n {n} [{i}]");
            }

            var sum = (float[])gate.Clone();
            backend.Add(sum, up);
            Assert.Equal(gate.Zip(up, (a, b) => a + b), sum);

            backend.SiluMul(gate, up, gate);   // y aliasing gate, as the model calls it
            Assert.Equal(y, gate);
        }
    }

    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void EmbeddingLookupWidensEveryDtypeExactly(SimdTier tier)
    {
        var random = new Random(6);
        using var backend = new CpuBackend(1, tier);
        int[] ids = [3, 0, 10, 3];
        // Awq4 (projections only, repacked at load) and I32 (AutoAWQ's packed ints) never hold an embedding.
        foreach (var type in Enum.GetValues<TensorDType>().Except([TensorDType.Awq4, TensorDType.I32]))
        {
            int hidden = TensorDTypeInfo.IsQuantized(type) ? 2 * TensorDTypeInfo.BlockSize(type) : 37;
            const int Vocab = 11;
            var bytes = new byte[TensorDTypeInfo.ByteSize(type, Vocab * hidden)];
            WeightCodec.Encode(type, RandomFloats(random, Vocab * hidden, 4f), bytes);
            var y = new float[ids.Length * hidden];
            backend.EmbeddingLookup(new WeightTensor("embed", type, [Vocab, hidden], bytes), ids, y);

            var table = Decode(type, bytes, Vocab * hidden);
            for (int t = 0; t < ids.Length; t++)
            {
                for (int i = 0; i < hidden; i++)
                {
                    Assert.Equal((float)table[(ids[t] * hidden) + i], y[(t * hidden) + i]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void EmbeddingLookupKeepsHalfEdgeValues(SimdTier tier)
    {
        ushort[] halves = [0x0001, 0x03FF, 0x0400, 0x7BFF, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x3555, 0xC001, 0x0000, 0x8001, 0x7C01, 0x3C00, 0x5640, 0x1234];
        var bytes = new byte[2 * halves.Length];
        for (int i = 0; i < halves.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), halves[i]);
        }

        var y = new float[halves.Length];
        using var backend = new CpuBackend(1, tier);
        backend.EmbeddingLookup(new WeightTensor("embed", TensorDType.F16, [1, halves.Length], bytes), [0], y);
        for (int i = 0; i < halves.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(halves[i]);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(y[i]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(y[i]), $"{tier} half 0x{halves[i]:X4}: expected {expected}, got {y[i]}");
        }
    }

    [Fact]
    public void EmbeddingLookupRejectsUnknownIds()
    {
        using var backend = new CpuBackend(1);
        var table = new WeightTensor("embed", TensorDType.F32, [2, 4], new byte[32]);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.EmbeddingLookup(table, [2], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.EmbeddingLookup(table, [-1], new float[4]));
    }

    [Fact]
    public void StoreKvWritesEachTokenToItsSlot()
    {
        const int BlockSize = 4, KvDim = 6;
        var cache = new KvLayerCache(8 * BlockSize, KvDim);
        var metadata = new AttentionMetadata(BlockSize);
        metadata.AddSequence(3, 2, [5, 1]);     // positions 2..4 → slots 22, 23, 4
        metadata.AddSequence(1, 0, [7]);        // position 0 → slot 28
        var random = new Random(9);
        var k = RandomFloats(random, 4 * KvDim);
        var v = RandomFloats(random, 4 * KvDim);
        using var backend = new CpuBackend(1);
        backend.StoreKv(k, v, metadata, cache);

        var keys = MemoryMarshal.Cast<byte, float>(cache.Keys);      // [slots, kv_dim]
        var valueRow = new byte[cache.SlotBytes];
        int[] slots = [22, 23, 4, 28];
        for (int s = 0; s < 8 * BlockSize; s++)
        {
            int token = Array.IndexOf(slots, s);
            cache.ReadValueRow(s, valueRow);
            var values = MemoryMarshal.Cast<byte, float>(valueRow);   // [kv_dim]
            for (int i = 0; i < KvDim; i++)
            {
                Assert.Equal(token < 0 ? 0f : k[(token * KvDim) + i], keys[(s * KvDim) + i]);
                Assert.Equal(token < 0 ? 0f : v[(token * KvDim) + i], values[i]);
            }
        }

        // V is stored in tiles of 16 slots, [kv_dim, 16]: element i of slot s sits 16·i past the tile's slot s mod 16.
        var tiles = MemoryMarshal.Cast<byte, float>(cache.Values);
        Assert.Equal(v[(2 * KvDim) + 5], tiles[(0 * KvDim * 16) + (5 * 16) + 4]);     // token 2 → slot 4, element 5
        Assert.Equal(v[(1 * KvDim) + 3], tiles[(1 * KvDim * 16) + (3 * 16) + 7]);     // token 1 → slot 23, element 3
    }
}
