using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.Kernels.Native;
using SharpServe.Engine.Kernels.Ops;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary><see cref="CpuKernels"/> instantiated for one vector width.</summary>
internal sealed unsafe class TierKernels<TS, TV>(WorkerPool pool) : CpuKernels
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private readonly GemvJob<TS, TV> _gemv = new();
    private readonly GemmJob<TS, TV> _gemm = new();
    private readonly AttentionJob<TS, TV> _attention = new();

    private AlignedBuffer? _xPairs;       // [columns] f32, x deinterleaved for F16/BF16 GEMV
    private AlignedBuffer? _xQuants;      // [columns] int16, Q8_0 activations
    private AlignedBuffer? _xScales;      // [columns / 32] f32, Q8_0 activation scales
    private AlignedBuffer? _xt;           // [columns, paddedTokens] f32, GEMM packed activations
    private AlignedBuffer? _panels;       // [threads, 8, Depth] f32, GEMM weight panels
    private AlignedBuffer? _ropeTable;    // [headDim] f32, cos then sin
    private AlignedBuffer? _scores;       // [threads, group, maxContext] f32, attention probabilities
    private int[] _tokenSequence = [];    // [tokens] sequence index of each token

    public override void MatMul(TensorDType type, byte* weights, int rows, int columns, float* bias, float* x, float* y, int tokens)
    {
        if (tokens == 1)
        {
            Gemv(type, weights, rows, columns, bias, x, y);
            return;
        }

        float* panels = (float*)AlignedBuffer.Ensure(ref _panels, (long)pool.Threads * GemmTiles.Rows * GemmJob<TS, TV>.Depth * sizeof(float));
        for (int t0 = 0; t0 < tokens; t0 += GemmJob<TS, TV>.MaxTokens)
        {
            int blockTokens = Math.Min(GemmJob<TS, TV>.MaxTokens, tokens - t0);
            long xtBytes = (long)columns * GemmJob<TS, TV>.PaddedTokens(blockTokens) * sizeof(float);
            float* xt = (float*)AlignedBuffer.Ensure(ref _xt, xtBytes);
            _gemm.Set(type, weights, rows, columns, x + ((long)t0 * columns), blockTokens, xt, bias, y + ((long)t0 * rows), panels);
            _gemm.Begin(GemmPhase.Pack, Math.Min(pool.Threads, (columns + 31) / 32));
            pool.Run(_gemm, Math.Min(pool.Threads, (columns + 31) / 32));
            int rowBlocks = (rows + GemmTiles.Rows - 1) / GemmTiles.Rows;
            int parts = Math.Min(rowBlocks, pool.Threads * 4);
            _gemm.Begin(GemmPhase.Compute, parts);
            pool.Run(_gemm, parts);
        }
    }

    public override void EmbeddingLookup(TensorDType type, byte* table, int columns, int* ids, int tokens, float* y)
    {
        long rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        for (int t = 0; t < tokens; t++)
        {
            RowDecoder.Decode<TS, TV>(type, table + (ids[t] * rowBytes), 0, columns, y + ((long)t * columns));
        }
    }

    public override void RmsNorm(float* x, float* weight, float eps, float* y, int tokens, int dim) =>
        RmsNormKernel.Run<TS, TV>(x, weight, eps, y, tokens, dim);

    public override void Rope(float* x, int* positions, int tokens, int heads, int headDim, float theta)
    {
        float* table = (float*)AlignedBuffer.Ensure(ref _ropeTable, (long)headDim * sizeof(float));
        RopeKernel.Run<TS, TV>(x, positions, tokens, heads, headDim, theta, table);
    }

    public override void SiluMul(float* gate, float* up, float* y, long count) => VectorOps.SiluMul<TS, TV>(gate, up, y, count);

    public override void Add(float* x, float* y, long count) => VectorOps.Add<TS, TV>(x, y, count);

    public override void Attention(float* q, float* keys, float* values, AttentionMetadata metadata, int heads, int kvHeads, int headDim, float* output)
    {
        int tokens = metadata.TokenCount;
        if (_tokenSequence.Length < tokens)
        {
            _tokenSequence = new int[Math.Max(tokens, _tokenSequence.Length * 2)];
        }

        int maxContext = 0;
        for (int s = 0; s < metadata.Sequences.Length; s++)
        {
            var sequence = metadata.Sequences[s];
            _tokenSequence.AsSpan(sequence.FirstToken, sequence.TokenCount).Fill(s);
            maxContext = Math.Max(maxContext, sequence.ContextLength);
        }

        int group = heads / kvHeads;
        float* scores = (float*)AlignedBuffer.Ensure(ref _scores, (long)pool.Threads * group * maxContext * sizeof(float));
        _attention.Set(q, output, keys, values, scores, maxContext, heads, kvHeads, headDim, metadata, _tokenSequence);
        pool.Run(_attention, tokens * kvHeads);
    }

    public override void Dispose()
    {
        foreach (var buffer in new IDisposable?[] { _xPairs, _xQuants, _xScales, _xt, _panels, _ropeTable, _scores })
        {
            buffer?.Dispose();
        }
    }

    private void Gemv(TensorDType type, byte* weights, int rows, int columns, float* bias, float* x, float* y)
    {
        float* xPairs = null;
        short* xQuants = null;
        float* xScales = null;
        if (type is TensorDType.F16 or TensorDType.BF16)
        {
            xPairs = (float*)AlignedBuffer.Ensure(ref _xPairs, (long)columns * sizeof(float));
            int chunk = 2 * TS.Count;
            for (int i = 0; i <= columns - chunk; i += chunk)
            {
                TS.Deinterleave(x + i, xPairs + i);
            }
        }
        else if (type == TensorDType.Q8_0)
        {
            xQuants = (short*)AlignedBuffer.Ensure(ref _xQuants, (long)columns * sizeof(short));
            xScales = (float*)AlignedBuffer.Ensure(ref _xScales, (long)(columns / 32) * sizeof(float));
            ActivationQuantizer.Quantize<TS, TV>(x, columns, xQuants, xScales);
        }

        int parts = Math.Min(pool.Threads, rows);
        _gemv.Set(type, weights, rows, columns, x, xPairs, xQuants, xScales, bias, y, parts);
        pool.Run(_gemv, parts);
    }
}
