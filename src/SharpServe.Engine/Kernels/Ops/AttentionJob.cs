using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// Causal GQA attention over the paged cache, in llama.cpp's arithmetic (<see cref="GgmlAttentionMath"/>).
/// One part = one (token, KV head): all query heads of that group are done together, one cache block at a
/// time, so each cached K/V row is fetched from memory once and reused from L1. A 16-bit cache's block is widened
/// to f32 first (<see cref="KvHeadRows"/>, <see cref="KvValueTiles"/>); the arithmetic after that is the f32 cache's.
/// The weighted values read the cache's V tiles (16 slots, [headDim, 16] per KV head) where blocks are whole tiles:
/// four dims of two heads in registers along positions (<see cref="WeightedValuesFromTiles"/>); other block sizes
/// gather each position's row into lanes in memory. Both are llama.cpp's lanes, bit for bit.
/// A sequence with many tokens in the step (a prefill chunk) first has its values transposed once per KV head
/// (<see cref="AttentionPhase.TransposeValues"/>: [headDim, padded context] f32), and its tokens' weighted values then run
/// as dots along positions with the Count lanes in registers (<see cref="WeightedValuesTransposed"/>).
/// </summary>
internal sealed unsafe class AttentionJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>V tiles taken at a time per head: their [headDim, 16] slices stay in L1/L2 while each group of 4 dims of each head pair walks them.</summary>
    public const int ChunkTiles = 8;

    private float* _q;              // [tokens, heads, headDim]
    private float* _output;         // [tokens, heads, headDim]
    private KvHeadRows _keys;       // [slots, kvHeads * headDim] in the cache dtype
    private KvValueTiles _values;   // [tiles of 16 slots, kvHeads * headDim, 16] in the cache dtype
    private float* _widened;        // [workers, blockSize, headDim] one block's K or V rows of one head, 16-bit caches only
    private float* _valueTiles;     // [workers, ChunkTiles, headDim, 16] one chunk's V tiles of one head, as f32, where not read in place
    private float* _scores;         // [workers, group, scoreStride] probabilities
    private int _scoreStride;       // ≥ the longest context rounded up to Count
    private float* _lanes;          // [workers, group, Count, headDim] per-lane partial outputs (from V tiles: [workers, group, headDim, Count])
    private int _heads;
    private int _kvHeads;
    private int _headDim;
    private float _scale;           // 1/sqrt(headDim), applied to each dot as ggml's soft_max does
    private AttentionMetadata? _metadata;
    private int* _tokenSequence;    // [tokens] index into metadata.Sequences
    private float* _valuesT;        // per transposed (sequence, KV head): [headDim, padded context] f32 values
    private long* _valuesTOffsets;  // [sequences] where a sequence's [kvHeads, headDim, padded context] block starts, or −1
    private AttentionPhase _phase;

    public void Set(float* q, float* output, KvHeadRows keys, KvValueTiles values, float* widened, float* valueTiles, float* scores, int scoreStride, float* lanes, int heads, int kvHeads, int headDim, AttentionMetadata metadata, int* tokenSequence, float* valuesT, long* valuesTOffsets)
    {
        _valuesT = valuesT;
        _valuesTOffsets = valuesTOffsets;
        _q = q;
        _output = output;
        _keys = keys;
        _values = values;
        _widened = widened;
        _valueTiles = valueTiles;
        _scores = scores;
        _scoreStride = scoreStride;
        _lanes = lanes;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        _metadata = metadata;
        _tokenSequence = tokenSequence;
    }

    /// <summary>Whether a sequence with <paramref name="tokens"/> tokens in the step gets its values transposed (enough tokens to pay for it, head_dim in whole groups of 8).</summary>
    public static bool TransposesValues(int tokens, int headDim) => tokens >= 16 && headDim % 8 == 0;

    /// <summary>Whether the values are read as V tiles (blocks of whole tiles, and head_dim in groups of 4 dims), not row by row.</summary>
    public static bool ReadsWholeTiles(int blockSize, int headDim) => blockSize % KvValueTiles.TileSlots == 0 && headDim % 4 == 0;

    /// <summary>A sequence's padded context: the transposed rows' length, whole vectors of positions.</summary>
    public static int PaddedContext(int context) => (context + TS.Count - 1) / TS.Count * TS.Count;

    /// <summary>Selects the phase the next dispatch runs: parts are (sequence, KV head) for the transpose, (token, KV head) after.</summary>
    public void Begin(AttentionPhase phase) => _phase = phase;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        if (_phase == AttentionPhase.TransposeValues)
        {
            TransposeValues(part / _kvHeads, part % _kvHeads, worker);
            return;
        }

        var metadata = _metadata!;
        int token = part / _kvHeads;
        int kvHead = part % _kvHeads;
        int group = _heads / _kvHeads;
        int headDim = _headDim;
        int blockSize = metadata.BlockSize;
        int[] blockTable = metadata.Sequences[_tokenSequence[token]].BlockTable;
        int context = metadata.Positions[token] + 1;
        long headOffset = ((long)token * _heads + ((long)kvHead * group)) * headDim;
        float* q = _q + headOffset;            // [group, headDim]
        float* output = _output + headOffset;  // [group, headDim]
        float* scores = _scores + ((long)worker * group * _scoreStride); // [group, scoreStride]
        float* lanes = _lanes + ((long)worker * group * TS.Count * headDim); // [group, Count, headDim]
        float* widened = _widened + ((long)worker * blockSize * headDim);     // [blockSize, headDim]
        int padded = (context + TS.Count - 1) / TS.Count * TS.Count;

        // Matched against llama.cpp (LLamaSharp 0.30.0) bit for bit: its q·k takes tinyBLAS's order whenever
        // head_dim is a multiple of the vector width, in prefill as in decode; ggml_vec_dot_f32's otherwise.
        bool oneAccumulator = headDim % TS.Count == 0;

        // Scores, one cache block (contiguous slots) at a time: its keys stay in L1 while every head of the group reads them.
        int headOffsetInSlot = kvHead * headDim;
        int blocks = (context + blockSize - 1) / blockSize;
        for (int start = 0, block = 0; start < context; start += blockSize, block++)
        {
            // The next block's keys, or after the last one the first block's values.
            if (block + 1 < blocks)
            {
                _keys.Prefetch<TS, TV>(blockTable[block + 1], headOffsetInSlot, headDim);
            }
            else
            {
                _values.Prefetch<TS, TV>(blockTable[0] * blockSize / KvValueTiles.TileSlots, headOffsetInSlot, headDim);
            }

            int count = Math.Min(blockSize, context - start);
            float* keys = _keys.Read<TS, TV>(blockTable[block], count, headOffsetInSlot, headDim, widened, out int stride);
            // Heads two at a time (an odd group's last head pairs with itself: both rows get the same values).
            for (int g = 0; g < group; g += 2)
            {
                int g1 = Math.Min(g + 1, group - 1);
                float* query0 = q + ((long)g * headDim);
                float* query1 = q + ((long)g1 * headDim);
                float* row0 = scores + ((long)g * _scoreStride) + start;
                float* row1 = scores + ((long)g1 * _scoreStride) + start;
                int j = 0;
                if (oneAccumulator)
                {
                    for (; j + 4 <= count; j += 4)
                    {
                        GgmlAttentionMath.DotOneAccumulator2x4<TS, TV>(keys + ((long)j * stride), stride, query0, query1, headDim, _scale, row0 + j, row1 + j);
                    }
                }

                for (; j < count; j++)
                {
                    float* key = keys + ((long)j * stride);
                    row0[j] = Dot(key, query0, headDim, oneAccumulator) * _scale;
                    row1[j] = Dot(key, query1, headDim, oneAccumulator) * _scale;
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            float* row = scores + ((long)g * _scoreStride);
            float max = VectorOps.Max<TS, TV>(row, context);
            new Span<float>(row + context, padded - context).Fill(float.NegativeInfinity);
            GgmlAttentionMath.Softmax<TS, TV>(row, padded, max);
        }

        // Weighted values: position p adds into lane p mod Count, as tinyBLAS's vector accumulator lanes do.
        long transposed = _valuesTOffsets[_tokenSequence[token]];
        if (transposed >= 0)
        {
            int stride = PaddedContext(metadata.Sequences[_tokenSequence[token]].ContextLength);
            float* valuesT = _valuesT + transposed + ((long)kvHead * headDim * stride);
            for (int g = 0; g < group; g += 2)
            {
                int g1 = Math.Min(g + 1, group - 1);
                WeightedValuesTransposed(
                    valuesT, stride, scores + ((long)g * _scoreStride), scores + ((long)g1 * _scoreStride), padded, headDim, output + ((long)g * headDim), output + ((long)g1 * headDim));
            }

            return;
        }

        if (ReadsWholeTiles(blockSize, headDim))
        {
            WeightedValuesFromTiles(blockTable, blockSize, context, padded, headOffsetInSlot, group, scores, lanes, _valueTiles + ((long)worker * ChunkTiles * headDim * KvValueTiles.TileSlots), output);
            return;
        }

        // Blocks that are not whole tiles: each position's row into its lane in memory.
        new Span<float>(lanes, group * TS.Count * headDim).Clear();
        for (int start = 0, block = 0; start < context; start += blockSize, block++)
        {
            int count = Math.Min(blockSize, context - start);
            float* values = _values.Rows(blockTable[block] * blockSize, count, headOffsetInSlot, headDim, widened);
            int stride = headDim;
            for (int g = 0; g < group; g++)
            {
                float* probabilities = scores + ((long)g * _scoreStride) + start;
                float* headLanes = lanes + ((long)g * TS.Count * headDim);
                int j = 0;

                // Four positions at a time while they take four consecutive lanes (a block start need not be lane-aligned).
                if (headDim % TS.Count == 0 && TS.Count >= 4)
                {
                    for (; j + 4 <= count && ((start + j) % TS.Count) + 4 <= TS.Count; j += 4)
                    {
                        float* lane = headLanes + ((long)((start + j) % TS.Count) * headDim);
                        GgmlAttentionMath.AccumulateLanes4<TS, TV>(lane, headDim, values + ((long)j * stride), stride, probabilities + j, headDim);
                    }
                }

                for (; j < count; j++)
                {
                    float* lane = headLanes + ((long)((start + j) % TS.Count) * headDim);
                    GgmlAttentionMath.AccumulateLane<TS, TV>(lane, values + ((long)j * stride), probabilities[j], headDim);
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            GgmlAttentionMath.SumLanes<TS, TV>(lanes + ((long)g * TS.Count * headDim), headDim, output + ((long)g * headDim));
        }
    }

    /// <summary>q·k in llama.cpp's order for this head_dim (see the score loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* key, float* query, int headDim, bool oneAccumulator) => oneAccumulator
        ? GgmlAttentionMath.DotOneAccumulator<TS, TV>(key, query, headDim)
        : GgmlAttentionMath.DotFourAccumulators<TS, TV>(key, query, headDim);

    /// <summary>
    /// valuesT[d, p] = V[p, d] of one KV head for positions [0, context) of sequence s, zero up to its padded context, so
    /// every later read of a whole vector of positions is finite.
    /// </summary>
    private void TransposeValues(int s, int kvHead, int worker)
    {
        long offset = _valuesTOffsets[s];
        if (offset < 0)
        {
            return;
        }

        var sequence = _metadata!.Sequences[s];
        int blockSize = _metadata.BlockSize;
        int context = sequence.ContextLength;
        int stride = PaddedContext(context);
        int headDim = _headDim;
        float* valuesT = _valuesT + offset + ((long)kvHead * headDim * stride);  // [headDim, stride]
        float* widened = _widened + ((long)worker * blockSize * headDim);
        if (ReadsWholeTiles(blockSize, headDim))
        {
            // A tile's head slice is already [headDim, 16]: one copy of up to 16 positions per dim.
            int tilesPerBlock = blockSize / KvValueTiles.TileSlots;
            for (int start = 0, t = 0; start < context; start += KvValueTiles.TileSlots, t++)
            {
                int cacheTile = (sequence.BlockTable[t / tilesPerBlock] * tilesPerBlock) + (t % tilesPerBlock);
                float* tile = _values.Tile<TS, TV>(cacheTile, kvHead * headDim, headDim, widened);
                int count = Math.Min(KvValueTiles.TileSlots, context - start);
                for (int d = 0; d < headDim; d++)
                {
                    new ReadOnlySpan<float>(tile + ((long)d * KvValueTiles.TileSlots), count).CopyTo(new Span<float>(valuesT + ((long)d * stride) + start, count));
                }
            }
        }
        else
        {
            for (int start = 0, block = 0; start < context; start += blockSize, block++)
            {
                int count = Math.Min(blockSize, context - start);
                float* rows = _values.Rows(sequence.BlockTable[block] * blockSize, count, kvHead * headDim, headDim, widened);
                for (int j = 0; j < count; j++)
                {
                    for (int d = 0; d < headDim; d++)
                    {
                        valuesT[((long)d * stride) + start + j] = rows[((long)j * headDim) + d];
                    }
                }
            }
        }

        for (int d = 0; d < headDim; d++)
        {
            new Span<float>(valuesT + ((long)d * stride) + context, stride - context).Clear();
        }
    }

    /// <summary>
    /// output[g, d] = Σ_p probabilities[g, p]·V[p, d] in the lane path's order, from the cache's V tiles: one Count-wide
    /// accumulator per (head, dim) along positions, position p in lane p mod Count (16-slot tiles start at multiples of 16,
    /// so a tile row's Count-wide vectors are those lanes in order), then TS.Sum's halving tree, SumLanes' tree. So the same
    /// bits as the lanes in memory, where each position cost a load, an fma and a store per vector of head_dim: here four
    /// dims of two heads are eight chains in registers over a chunk of tiles, saved to <paramref name="accumulators"/>
    /// ([group, headDim, Count]) between chunks. Positions in [context, padded) have probability 0; the last tile's slots
    /// past the context are zeroed in a copy, as whatever they hold must be finite for a zero product to change nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightedValuesFromTiles(int[] blockTable, int blockSize, int context, int padded, int headOffset, int group, float* scores, float* accumulators, float* chunk, float* output)
    {
        int headDim = _headDim;
        int slots = KvValueTiles.TileSlots;
        int tilesPerBlock = blockSize / slots;
        int tiles = (context + slots - 1) / slots;
        new Span<float>(accumulators, group * headDim * TS.Count).Clear();
        float** tile = stackalloc float*[ChunkTiles];
        for (int first = 0; first < tiles; first += ChunkTiles)
        {
            int count = Math.Min(ChunkTiles, tiles - first);
            for (int i = 0; i < count; i++)
            {
                int t = first + i;
                float* scratch = chunk + ((long)i * headDim * slots);
                float* source = _values.Tile<TS, TV>((blockTable[t / tilesPerBlock] * tilesPerBlock) + (t % tilesPerBlock), headOffset, headDim, scratch);
                int valid = context - (t * slots);
                if (valid < slots)
                {
                    for (int d = 0; d < headDim; d++)
                    {
                        float* row = scratch + ((long)d * slots);
                        new ReadOnlySpan<float>(source + ((long)d * slots), valid).CopyTo(new Span<float>(row, valid));
                        new Span<float>(row + valid, slots - valid).Clear();
                    }

                    source = scratch;
                }

                tile[i] = source;
            }

            int positions = Math.Min(padded, (first + count) * slots) - (first * slots);
            for (int g = 0; g < group; g += 2)
            {
                int g1 = Math.Min(g + 1, group - 1);
                float* probabilities0 = scores + ((long)g * _scoreStride) + ((long)first * slots);
                float* probabilities1 = scores + ((long)g1 * _scoreStride) + ((long)first * slots);
                for (int d = 0; d < headDim; d += 4)
                {
                    GgmlAttentionMath.AccumulateTiles2x4<TS, TV>(
                        tile, positions, d, probabilities0, probabilities1, accumulators + (((long)g * headDim) + d) * TS.Count, accumulators + (((long)g1 * headDim) + d) * TS.Count);
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            for (int d = 0; d < headDim; d++)
            {
                output[((long)g * headDim) + d] = TS.Sum(TS.Load(accumulators + ((((long)g * headDim) + d) * TS.Count)));
            }
        }
    }

    /// <summary>
    /// output[d] = Σ_p probabilities[p]·valuesT[d, p] for p &lt; padded, as one Count-wide accumulator along positions per d
    /// (lane l takes the positions ≡ l mod Count, in order: the memory lanes' chains) and TS.Sum's halving tree (SumLanes'
    /// tree), so the same bits as the lane path: positions past the token's context have probability 0 and finite values,
    /// and adding ±0 changes no lane (each starts at +0, which ±0 products cannot turn into −0); the scale 1 is exact. Two heads
    /// of the KV group and four d at a time, the scores' tile: every vector of transposed values is loaded once for both heads'
    /// probabilities (eight chains, no stores), where the lanes in memory took a load, an fma and a store per position and
    /// vector of head_dim.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void WeightedValuesTransposed(float* valuesT, int stride, float* probabilities0, float* probabilities1, int padded, int headDim, float* output0, float* output1)
    {
        for (int d = 0; d < headDim; d += 4)
        {
            GgmlAttentionMath.DotOneAccumulator2x4<TS, TV>(valuesT + ((long)d * stride), stride, probabilities0, probabilities1, padded, 1f, output0 + d, output1 + d);
        }
    }
}

/// <summary>The two dispatches of an attention call.</summary>
internal enum AttentionPhase
{
    TransposeValues,
    Compute,
}
