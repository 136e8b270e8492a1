using SharpServe.Engine.Kernels;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using static SharpServe.Engine.Tests.Kernels.KernelReference;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// Paged causal GQA attention against a naive double-precision reference: one batch mixing a prefill from
/// position 0, a single decode token deep into its sequence and a chunk in the middle, with block tables
/// out of order and every unused cache slot holding garbage that must never be read. 16-bit caches are
/// checked against the same reference computed on the rounded values they hold, so the bound stays f32-tight.
/// </summary>
public sealed class AttentionTests
{
    private const int BlockSize = 4;
    private const int CacheBlocks = 16;

    public static TheoryData<SimdTier, KvCacheDType, int, int, int> Cases
    {
        get
        {
            var data = new TheoryData<SimdTier, KvCacheDType, int, int, int>();
            foreach (var tier in SimdTiers.Supported)
            {
                foreach (var dtype in Enum.GetValues<KvCacheDType>())
                {
                    data.Add(tier, dtype, 2, 1, 16);    // plain multi-head
                    data.Add(tier, dtype, 2, 2, 16);
                    data.Add(tier, dtype, 2, 3, 20);    // head_dim with a vector tail
                    data.Add(tier, dtype, 3, 2, 7);     // odd head_dim: no full vector at all
                    data.Add(tier, dtype, 1, 3, 128);   // the flagship's head_dim
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveReference(SimdTier tier, KvCacheDType dtype, int kvHeads, int group, int headDim)
    {
        int heads = kvHeads * group;
        int kvDim = kvHeads * headDim;
        var random = new Random(17 + (group * 31) + headDim);

        // Blocks of 4 read V row by row (lanes in memory); blocks of 16 read it as whole tiles of 16 slots.
        foreach (int blockSize in new[] { BlockSize, KvLayerCache.ValueTileSlots })
        foreach (int threads in new[] { 1, 2 })
        {
            var metadata = new AttentionMetadata(blockSize);
            metadata.AddSequence(5, 0, [9, 3]);
            metadata.AddSequence(1, blockSize == BlockSize ? 13 : 40, [5, 0, 12, 7]);   // a decode token deep in its sequence
            metadata.AddSequence(3, 6, [14, 1, 10]);
            int tokens = metadata.TokenCount;

            // qScale 100 pushes scores past exp's f32 range: only a max-subtracting softmax survives it.
            foreach (float qScale in new[] { 1f, 100f })
            {
                var cache = new KvLayerCache(CacheBlocks * blockSize, kvDim, dtype);
                Write(cache, RandomFloats(random, cache.Slots * kvDim, 50f), RandomFloats(random, cache.Slots * kvDim, 50f), slot: 0);
                var q = RandomFloats(random, tokens * heads * headDim, qScale);
                var k = RandomFloats(random, tokens * kvDim);
                var v = RandomFloats(random, tokens * kvDim);
                var output = new float[q.Length];
                using var backend = new CpuBackend(threads, tier);
                backend.StoreKv(k, v, metadata, cache);

                // The garbage (±50) in slots older than each token's context must not leak in: fill the cache's
                // live history with unit-range values so a wrong slot shows up as a large error.
                foreach (var sequence in metadata.Sequences)
                {
                    for (int p = 0; p < sequence.StartPosition; p++)
                    {
                        int slot = (sequence.BlockTable[p / blockSize] * blockSize) + (p % blockSize);
                        Write(cache, RandomFloats(random, kvDim), RandomFloats(random, kvDim), slot);
                    }
                }

                backend.Attention(q, cache, metadata, heads, kvHeads, headDim, output);

                var expected = Reference(q, cache, metadata, heads, kvHeads, headDim);
                for (int i = 0; i < output.Length; i++)
                {
                    int token = i / (heads * headDim);
                    int head = i / headDim % heads;
                    AssertClose(expected[i], output[i], 2e-5 * qScale, $"{tier} {dtype} blocks of {blockSize} threads {threads} qScale {qScale} token {token} head {head} dim {i % headDim}");
                }
            }
        }
    }

    /// <summary>
    /// An f32 cache (read in place) and an f16 cache holding the same, f16-exact values (each block widened to f32 first)
    /// must give the same bits: after the widening the arithmetic is the f32 cache's, four keys' dots and four positions'
    /// lanes at a time included. Blocks of 16 (lane-aligned), a 37-token prefill ending mid-block, a decode token and a
    /// chunk, head_dim 16 and 128, one and two threads.
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(128)]
    public void F32AndF16CachesOfTheSameValuesGiveTheSameBits(int headDim)
    {
        const int blockSize = 16, blocks = 12, kvHeads = 2, group = 3;
        int heads = kvHeads * group;
        int kvDim = kvHeads * headDim;
        var random = new Random(headDim);
        var metadata = new AttentionMetadata(blockSize);
        metadata.AddSequence(37, 0, [4, 0, 9]);
        metadata.AddSequence(1, 40, [2, 7, 11]);
        metadata.AddSequence(5, 17, [1, 10]);
        var keys = RandomFloats(random, blocks * blockSize * kvDim).Select(x => (float)(Half)x).ToArray();
        var values = RandomFloats(random, blocks * blockSize * kvDim).Select(x => (float)(Half)x).ToArray();
        var q = RandomFloats(random, metadata.TokenCount * heads * headDim, 4f);
        foreach (var tier in SimdTiers.Supported)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                using var backend = new CpuBackend(threads, tier);
                var outputs = new List<float[]>();
                foreach (var dtype in new[] { KvCacheDType.Float32, KvCacheDType.Float16 })
                {
                    var cache = new KvLayerCache(blocks * blockSize, kvDim, dtype);
                    Write(cache, keys, values, slot: 0);
                    var output = new float[q.Length];
                    backend.Attention(q, cache, metadata, heads, kvHeads, headDim, output);
                    outputs.Add(output);
                }

                Assert.All(outputs[0], x => Assert.True(float.IsFinite(x)));
                for (int i = 0; i < q.Length; i++)
                {
                    Assert.True(
                        BitConverter.SingleToInt32Bits(outputs[0][i]) == BitConverter.SingleToInt32Bits(outputs[1][i]),
                        $"{tier} threads {threads} token {i / (heads * headDim)} head {i / headDim % heads} dim {i % headDim}: f32 cache {outputs[0][i]:R}, f16 cache {outputs[1][i]:R}");
                }
            }
        }
    }

    /// <summary>
    /// A 45-token prefill (its values transposed once, weighted values as dots along positions) must give, token for token,
    /// the bits of the same tokens attended one at a time (decode steps: lanes in memory), for head_dim 128 and 24 (no whole
    /// vector of 16), f32 and f16 caches, every tier, one and two threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void PrefillGivesTheBitsOfOneTokenAtATime(SimdTier tier)
    {
        const int blockSize = 16, blocks = 4, kvHeads = 2, group = 3, tokens = 45;
        int[] blockTable = [3, 0, 2];
        foreach (int headDim in new[] { 128, 24 })
        {
            int heads = kvHeads * group;
            int kvDim = kvHeads * headDim;
            var random = new Random(headDim + 1);
            var keys = RandomFloats(random, tokens * kvDim);
            var values = RandomFloats(random, tokens * kvDim);
            var q = RandomFloats(random, tokens * heads * headDim, 4f);
            foreach (var dtype in new[] { KvCacheDType.Float32, KvCacheDType.Float16 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    using var backend = new CpuBackend(threads, tier);
                    var cache = new KvLayerCache(blocks * blockSize, kvDim, dtype);
                    var prefill = new AttentionMetadata(blockSize);
                    prefill.AddSequence(tokens, 0, blockTable);
                    backend.StoreKv(keys, values, prefill, cache);
                    var together = new float[q.Length];
                    backend.Attention(q, cache, prefill, heads, kvHeads, headDim, together);

                    int row = heads * headDim;
                    for (int t = 0; t < tokens; t++)
                    {
                        var step = new AttentionMetadata(blockSize);
                        step.AddSequence(1, t, blockTable);
                        var alone = new float[row];
                        backend.Attention(q.AsSpan(t * row, row), cache, step, heads, kvHeads, headDim, alone);
                        for (int i = 0; i < row; i++)
                        {
                            Assert.True(
                                BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(together[(t * row) + i]),
                                $"{tier} {dtype} head_dim {headDim} threads {threads} token {t} [{i}]: alone {alone[i]:R}, in the prefill {together[(t * row) + i]:R}");
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Blocks of 16 read V as whole tiles (four dims of two heads in registers along positions); blocks of 8 read it row by
    /// row into lanes in memory. Both follow llama.cpp's lanes (position p in lane p mod width), so every decode token of the
    /// same sequence must get the same bits either way: head_dim 128 and 24, f32 and bf16 caches, every tier, one and two
    /// threads, contexts 1 to 150 (tails of every length, tiles across blocks out of order, past a chunk of 8 tiles).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void TilesAndRowsGiveTheSameBits(SimdTier tier)
    {
        const int kvHeads = 2, group = 3, tokens = 150;
        foreach (int headDim in new[] { 128, 24 })
        {
            int heads = kvHeads * group;
            int kvDim = kvHeads * headDim;
            var random = new Random(headDim + 7);
            var keys = RandomFloats(random, tokens * kvDim);
            var values = RandomFloats(random, tokens * kvDim);
            var q = RandomFloats(random, tokens * heads * headDim, 4f);
            foreach (var dtype in new[] { KvCacheDType.Float32, KvCacheDType.BFloat16 })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    using var backend = new CpuBackend(threads, tier);
                    var tiled = DecodeEachToken(backend, blockSize: 16, blockTable: [3, 0, 2, 9, 5, 1, 8, 4, 6, 7]);
                    var rows = DecodeEachToken(backend, blockSize: 8, blockTable: [6, 1, 0, 7, 2, 4, 19, 3, 18, 5, 17, 8, 16, 9, 15, 10, 14, 11, 13]);
                    for (int i = 0; i < q.Length; i++)
                    {
                        Assert.True(
                            BitConverter.SingleToInt32Bits(tiled[i]) == BitConverter.SingleToInt32Bits(rows[i]),
                            $"{tier} {dtype} head_dim {headDim} threads {threads} token {i / (heads * headDim)} [{i % (heads * headDim)}]: tiles {tiled[i]:R}, rows {rows[i]:R}");
                    }
                }

                float[] DecodeEachToken(CpuBackend backend, int blockSize, int[] blockTable)
                {
                    var cache = new KvLayerCache(10 * 16, kvDim, dtype);
                    var prefill = new AttentionMetadata(blockSize);
                    prefill.AddSequence(tokens, 0, blockTable);
                    backend.StoreKv(keys, values, prefill, cache);
                    var output = new float[q.Length];
                    int row = heads * headDim;
                    for (int t = 0; t < tokens; t++)
                    {
                        var step = new AttentionMetadata(blockSize);
                        step.AddSequence(1, t, blockTable);
                        backend.Attention(q.AsSpan(t * row, row), cache, step, heads, kvHeads, headDim, output.AsSpan(t * row, row));
                    }

                    return output;
                }
            }
        }
    }

    /// <summary>
    /// The slots of a V tile past the context are read with probability 0, and 0·NaN is NaN: whatever a freed slot still holds
    /// must not reach the output. A cache full of NaN, then a 21-token sequence (its second tile holds 11 stale slots), every
    /// decode position and a 3-token chunk, on every tier: the output equals that over a zeroed cache, bit for bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers), MemberType = typeof(KernelReference))]
    public void StaleNaNPastTheContextNeverReachesTheOutput(SimdTier tier)
    {
        const int blockSize = 16, kvHeads = 2, group = 3, headDim = 32, tokens = 21;
        int heads = kvHeads * group;
        int kvDim = kvHeads * headDim;
        var random = new Random(23);
        var keys = RandomFloats(random, tokens * kvDim);
        var values = RandomFloats(random, tokens * kvDim);
        var q = RandomFloats(random, 4 * heads * headDim, 4f);
        using var backend = new CpuBackend(2, tier);
        var outputs = new List<float[]>();
        foreach (float stale in new[] { 0f, float.NaN })
        {
            var cache = new KvLayerCache(4 * blockSize, kvDim);
            var fill = Enumerable.Repeat(stale, cache.Slots * kvDim).ToArray();
            Write(cache, fill, fill, slot: 0);
            var prefill = new AttentionMetadata(blockSize);
            prefill.AddSequence(tokens, 0, [2, 1]);
            backend.StoreKv(keys, values, prefill, cache);
            var output = new List<float>();
            for (int t = 0; t < tokens; t++)
            {
                var step = new AttentionMetadata(blockSize);
                step.AddSequence(1, t, [2, 1]);
                var alone = new float[heads * headDim];
                backend.Attention(q.AsSpan(0, heads * headDim), cache, step, heads, kvHeads, headDim, alone);
                output.AddRange(alone);
            }

            var chunk = new AttentionMetadata(blockSize);
            chunk.AddSequence(3, tokens - 3, [2, 1]);
            var three = new float[3 * heads * headDim];
            backend.Attention(q.AsSpan(0, three.Length), cache, chunk, heads, kvHeads, headDim, three);
            output.AddRange(three);
            outputs.Add([.. output]);
        }

        Assert.All(outputs[1], x => Assert.True(float.IsFinite(x), $"{tier}: a stale NaN reached the output"));
        Assert.Equal(outputs[0], outputs[1]);
    }

    [Fact]
    public void RejectsBlockTablesOutsideTheCache()
    {
        var metadata = new AttentionMetadata(BlockSize);
        metadata.AddSequence(2, 0, [CacheBlocks]);
        var cache = new KvLayerCache(CacheBlocks * BlockSize, 8);
        using var backend = new CpuBackend(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Attention(new float[32], cache, metadata, 2, 1, 8, new float[32]));
        Assert.Throws<ArgumentException>(() => backend.Attention(new float[24], cache, metadata, 3, 2, 4, new float[24]));
    }

    /// <summary>Stores f32 K and V rows ([n, kv_dim]) from <paramref name="slot"/> on, rounded to the cache's dtype.</summary>
    private static void Write(KvLayerCache cache, float[] keys, float[] values, int slot)
    {
        TensorDType type = cache.DType.ElementType();
        int bytes = keys.Length / cache.KvDim * cache.SlotBytes;
        WeightCodec.Encode(type, keys, cache.Keys.AsSpan(slot * cache.SlotBytes, bytes));
        var rows = new byte[bytes];
        WeightCodec.Encode(type, values, rows);
        for (int s = 0; s < bytes / cache.SlotBytes; s++)
        {
            cache.WriteValueRow(slot + s, rows.AsSpan(s * cache.SlotBytes, cache.SlotBytes));
        }
    }

    /// <summary>Every slot's V row in slot order ([slots, kv_dim] encoded elements), as the cache holds them.</summary>
    private static byte[] ValueRows(KvLayerCache cache)
    {
        var rows = new byte[cache.Slots * cache.SlotBytes];
        for (int slot = 0; slot < cache.Slots; slot++)
        {
            cache.ReadValueRow(slot, rows.AsSpan(slot * cache.SlotBytes, cache.SlotBytes));
        }

        return rows;
    }

    private static double[] Reference(float[] q, KvLayerCache cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim)
    {
        int kvDim = kvHeads * headDim;
        TensorDType type = cache.DType.ElementType();
        double[] keys = Decode(type, cache.Keys, cache.Slots * kvDim);      // [slots, kv_dim] the values the cache holds
        double[] values = Decode(type, ValueRows(cache), cache.Slots * kvDim);  // [slots, kv_dim]
        var output = new double[q.Length];
        foreach (var sequence in metadata.Sequences)
        {
            for (int j = 0; j < sequence.TokenCount; j++)
            {
                int token = sequence.FirstToken + j;
                int context = sequence.StartPosition + j + 1;
                for (int h = 0; h < heads; h++)
                {
                    int kvHead = h / (heads / kvHeads);
                    var scores = new double[context];
                    for (int p = 0; p < context; p++)
                    {
                        int slot = (sequence.BlockTable[p / metadata.BlockSize] * metadata.BlockSize) + (p % metadata.BlockSize);
                        double dot = 0;
                        for (int d = 0; d < headDim; d++)
                        {
                            dot += (double)q[(((token * heads) + h) * headDim) + d] * keys[(slot * kvDim) + (kvHead * headDim) + d];
                        }

                        scores[p] = dot / Math.Sqrt(headDim);
                    }

                    double max = scores.Max();
                    double sum = scores.Sum(s => Math.Exp(s - max));
                    for (int p = 0; p < context; p++)
                    {
                        int slot = (sequence.BlockTable[p / metadata.BlockSize] * metadata.BlockSize) + (p % metadata.BlockSize);
                        double weight = Math.Exp(scores[p] - max) / sum;
                        for (int d = 0; d < headDim; d++)
                        {
                            output[(((token * heads) + h) * headDim) + d] += weight * values[(slot * kvDim) + (kvHead * headDim) + d];
                        }
                    }
                }
            }
        }

        return output;
    }
}
