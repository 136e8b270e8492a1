using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Kernels.Ops;

/// <summary>
/// Causal GQA attention over the paged cache. One part = one (token, KV head): all query heads of that
/// group are done together, so each cached K/V row is fetched from memory once and reused from L1.
/// Softmax subtracts the row max (as ggml's soft_max does) and normalizes at the end.
/// </summary>
internal sealed unsafe class AttentionJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _q;              // [tokens, heads, headDim]
    private float* _output;         // [tokens, heads, headDim]
    private float* _keys;           // [slots, kvHeads * headDim]
    private float* _values;         // [slots, kvHeads * headDim]
    private float* _scores;         // [workers, group, scoreStride]
    private int _scoreStride;
    private int _heads;
    private int _kvHeads;
    private int _headDim;
    private float _scale;
    private AttentionMetadata? _metadata;
    private int[]? _tokenSequence;  // [tokens] index into metadata.Sequences

    public void Set(float* q, float* output, float* keys, float* values, float* scores, int scoreStride, int heads, int kvHeads, int headDim, AttentionMetadata metadata, int[] tokenSequence)
    {
        _q = q;
        _output = output;
        _keys = keys;
        _values = values;
        _scores = scores;
        _scoreStride = scoreStride;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        _metadata = metadata;
        _tokenSequence = tokenSequence;
    }

    public void Execute(int part, int worker)
    {
        var metadata = _metadata!;
        int token = part / _kvHeads;
        int kvHead = part % _kvHeads;
        int group = _heads / _kvHeads;
        int headDim = _headDim;
        int kvDim = _kvHeads * headDim;
        int blockSize = metadata.BlockSize;
        int[] blockTable = metadata.Sequences[_tokenSequence![token]].BlockTable;
        int context = metadata.Positions[token] + 1;
        long headOffset = ((long)token * _heads + ((long)kvHead * group)) * headDim;
        float* q = _q + headOffset;            // [group, headDim]
        float* output = _output + headOffset;  // [group, headDim]
        float* scores = _scores + ((long)worker * group * _scoreStride); // [group, scoreStride]

        for (int start = 0, block = 0; start < context; start += blockSize, block++)
        {
            long slot = (long)blockTable[block] * blockSize;
            int end = Math.Min(blockSize, context - start);
            for (int j = 0; j < end; j++)
            {
                float* key = _keys + ((slot + j) * kvDim) + ((long)kvHead * headDim);
                for (int g = 0; g < group; g++)
                {
                    scores[((long)g * _scoreStride) + start + j] = VectorOps.Dot<TS, TV>(q + ((long)g * headDim), key, headDim) * _scale;
                }
            }
        }

        float* inverseSums = stackalloc float[group];
        for (int g = 0; g < group; g++)
        {
            float* row = scores + ((long)g * _scoreStride);
            float max = VectorOps.Max<TS, TV>(row, context);
            inverseSums[g] = 1f / VectorOps.ExpAndSum<TS, TV>(row, max, context);
        }

        new Span<float>(output, group * headDim).Clear();
        for (int start = 0, block = 0; start < context; start += blockSize, block++)
        {
            long slot = (long)blockTable[block] * blockSize;
            int end = Math.Min(blockSize, context - start);
            for (int j = 0; j < end; j++)
            {
                float* value = _values + ((slot + j) * kvDim) + ((long)kvHead * headDim);
                for (int g = 0; g < group; g++)
                {
                    VectorOps.MultiplyAdd<TS, TV>(output + ((long)g * headDim), scores[((long)g * _scoreStride) + start + j], value, headDim);
                }
            }
        }

        for (int g = 0; g < group; g++)
        {
            VectorOps.Scale<TS, TV>(output + ((long)g * headDim), inverseSums[g], headDim);
        }
    }
}
