using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>Shape of one attention launch; scalars travel together so the launch keeps few parameters.</summary>
internal readonly record struct AttentionShape(int Heads, int KvHeads, int HeadDim, int BlockSize, float Scale);

/// <summary>
/// Causal attention over the paged KV cache, for prefill chunks and decode tokens in one flat batch: one warp per
/// (token, query head). The token at position p reads keys 0…p of its sequence through the sequence's block table
/// (slot = table[p / blockSize] · blockSize + p % blockSize), keeping an online softmax (running max m, running sum l,
/// outputs rescaled by e^(m_old − m_new)) so any context length needs registers only. Lane l owns dimensions
/// l, l + 32, … of the head (up to <see cref="MaxHeadDim"/>). Query head h reads KV head h / (heads / kvHeads).
/// </summary>
internal static class PagedAttentionKernel
{
    public const int WarpsPerGroup = 4;

    public const int GroupSize = WarpsPerGroup * WarpReduce.Lanes;

    public const int MaxHeadDim = DimsPerLane * WarpReduce.Lanes;

    private const int DimsPerLane = 8;

    /// <summary>
    /// q, output: [tokens, heads · headDim]; keys, values: [cache slots, kvHeads · headDim]; positions: [tokens];
    /// tokenTables: [tokens], where each token's block table starts in blockTables.
    /// Launch: ceil(tokens · heads / <see cref="WarpsPerGroup"/>) groups of <see cref="GroupSize"/>.
    /// </summary>
    public static void Run<TCache>(
        ArrayView<float> q, TCache keys, TCache values, ArrayView<int> positions, ArrayView<int> tokenTables,
        ArrayView<int> blockTables, ArrayView<float> output, AttentionShape shape)
        where TCache : struct, IDeviceElements
    {
        int item = (Grid.IdxX * WarpsPerGroup) + Warp.WarpIdx;
        int tokens = positions.IntLength;
        if (item >= tokens * shape.Heads)
        {
            return;
        }

        int token = item / shape.Heads;
        int head = item - (token * shape.Heads);
        int kvHead = head / (shape.Heads / shape.KvHeads);
        int lane = Warp.LaneIdx;
        int kvDim = shape.KvHeads * shape.HeadDim;
        long query = (((long)token * shape.Heads) + head) * shape.HeadDim;

        var queryPart = LocalMemory.Allocate<float>(DimsPerLane);
        var outputPart = LocalMemory.Allocate<float>(DimsPerLane);
        for (int j = 0; j < DimsPerLane; j++)
        {
            int d = lane + (j * WarpReduce.Lanes);
            queryPart[j] = d < shape.HeadDim ? q[query + d] : 0f;
            outputPart[j] = 0f;
        }

        float runningMax = float.NegativeInfinity;
        float runningSum = 0f;
        int table = tokenTables[token];
        int last = positions[token];
        for (int p = 0; p <= last; p++)
        {
            int slot = (blockTables[table + (p / shape.BlockSize)] * shape.BlockSize) + (p % shape.BlockSize);
            long key = ((long)slot * kvDim) + ((long)kvHead * shape.HeadDim);
            float dot = 0f;
            for (int j = 0; j < DimsPerLane; j++)
            {
                int d = lane + (j * WarpReduce.Lanes);
                if (d < shape.HeadDim)
                {
                    dot += queryPart[j] * keys.Load(key + d);
                }
            }

            float score = WarpReduce.Sum(dot) * shape.Scale;
            float newMax = MathF.Max(runningMax, score);
            float rescale = MathF.Exp(runningMax - newMax);
            float weight = MathF.Exp(score - newMax);
            runningSum = (runningSum * rescale) + weight;
            for (int j = 0; j < DimsPerLane; j++)
            {
                int d = lane + (j * WarpReduce.Lanes);
                if (d < shape.HeadDim)
                {
                    outputPart[j] = (outputPart[j] * rescale) + (weight * values.Load(key + d));
                }
            }

            runningMax = newMax;
        }

        for (int j = 0; j < DimsPerLane; j++)
        {
            int d = lane + (j * WarpReduce.Lanes);
            if (d < shape.HeadDim)
            {
                output[query + d] = outputPart[j] / runningSum;
            }
        }
    }
}
