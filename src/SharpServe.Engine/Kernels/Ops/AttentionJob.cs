using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// Causal GQA attention over the paged cache, in llama.cpp's arithmetic (<see cref="GgmlAttentionMath"/>).
/// One part = one (token, KV head): all query heads of that group are done together, one cache block at a
/// time, so each cached K/V row is fetched from memory once and reused from L1. A 16-bit cache's block is widened
/// to f32 first (<see cref="KvHeadRows"/>); the arithmetic after that is the f32 cache's.
/// </summary>
internal sealed unsafe class AttentionJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _q;              // [tokens, heads, headDim]
    private float* _output;         // [tokens, heads, headDim]
    private KvHeadRows _keys;       // [slots, kvHeads * headDim] in the cache dtype
    private KvHeadRows _values;     // [slots, kvHeads * headDim] in the cache dtype
    private float* _widened;        // [workers, blockSize, headDim] one block's K or V rows of one head, 16-bit caches only
    private float* _scores;         // [workers, group, scoreStride] probabilities
    private int _scoreStride;       // ≥ the longest context rounded up to Count
    private float* _lanes;          // [workers, group, Count, headDim] per-lane partial outputs
    private int _heads;
    private int _kvHeads;
    private int _headDim;
    private float _scale;           // 1/sqrt(headDim), applied to each dot as ggml's soft_max does
    private AttentionMetadata? _metadata;
    private int* _tokenSequence;    // [tokens] index into metadata.Sequences

    public void Set(float* q, float* output, KvHeadRows keys, KvHeadRows values, float* widened, float* scores, int scoreStride, float* lanes, int heads, int kvHeads, int headDim, AttentionMetadata metadata, int* tokenSequence)
    {
        _q = q;
        _output = output;
        _keys = keys;
        _values = values;
        _widened = widened;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
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
                _values.Prefetch<TS, TV>(blockTable[0], headOffsetInSlot, headDim);
            }

            int count = Math.Min(blockSize, context - start);
            float* keys = _keys.Read<TS, TV>(blockTable[block], count, headOffsetInSlot, headDim, widened, out int stride);
            for (int g = 0; g < group; g++)
            {
                float* query = q + ((long)g * headDim);
                float* row = scores + ((long)g * _scoreStride) + start;
                int j = 0;
                if (oneAccumulator)
                {
                    for (; j + 4 <= count; j += 4)
                    {
                        GgmlAttentionMath.DotOneAccumulator4<TS, TV>(keys + ((long)j * stride), stride, query, headDim, _scale, row + j);
                    }
                }

                for (; j < count; j++)
                {
                    float* key = keys + ((long)j * stride);
                    float dot = oneAccumulator
                        ? GgmlAttentionMath.DotOneAccumulator<TS, TV>(key, query, headDim)
                        : GgmlAttentionMath.DotFourAccumulators<TS, TV>(key, query, headDim);
                    row[j] = dot * _scale;
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
        new Span<float>(lanes, group * TS.Count * headDim).Clear();
        for (int start = 0, block = 0; start < context; start += blockSize, block++)
        {
            if (block + 1 < blocks)
            {
                _values.Prefetch<TS, TV>(blockTable[block + 1], headOffsetInSlot, headDim);
            }

            int count = Math.Min(blockSize, context - start);
            float* values = _values.Read<TS, TV>(blockTable[block], count, headOffsetInSlot, headDim, widened, out int stride);
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
}
