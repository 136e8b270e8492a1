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
    private readonly QuantizeJob<TS, TV> _quantize = new();
    private readonly PanelGemmJob<TS, TV> _panelGemm = new();
    private readonly PanelQuantizeJob<TS, TV> _panelQuantize = new();
    private readonly KPanelQuantizeJob<TS, TV> _kPanelQuantize = new();
    private readonly AttentionJob<TS, TV> _attention = new();
    private readonly PointwiseJob<TS, TV> _pointwise = new();

    private readonly NativeScratch _xPairs = new();         // [tokens, columns] f32, x deinterleaved for F16/BF16 GEMV
    private readonly NativeScratch _xQuants = new();        // [groups of 4 tokens, columns / 32, 4, 32] int8, Q8_0 activations (for Q8_0 and Q4_0 weights), see QuantizeJob
    private readonly NativeScratch _xScales = new();        // [groups, columns / 32, 4] f32 + 3 padding, Q8_0 activation scales
    private readonly NativeScratch _xCorrections = new();   // [groups, columns / 32, 4, 8] int32, Q8_0 activation −128·Σ q per lane (K-quants: their integer sums; nibble panels: pair sums)
    private readonly NativeScratch _xt = new();             // [columns, paddedTokens] f32, GEMM packed activations
    private readonly NativeScratch _panels = new();         // [threads, 8, Depth] f32, GEMM weight panels
    private readonly NativeScratch _runningSums = new();    // [rows rounded up to 8, paddedTokens] f32, GEMM running sums (yt)
    private readonly NativeScratch _int8Panels = new();     // [threads, PanelBytes] panel GEMM weight panels, see WeightPanel (KWeightPanel for Q4_K/Q6_K, NibblePanel for 4-bit on AVX-512BW)
    private readonly NativeScratch _ropeTable = new();      // [threads, headDim] f32, cos then sin
    private readonly NativeScratch _scores = new();         // [threads, group, padded context] f32, attention probabilities
    private readonly NativeScratch _lanes = new();          // [threads, group, Count, headDim] f32, attention lane partial outputs
    private readonly NativeScratch _widenedKv = new();      // [threads, blockSize, headDim] f32, a 16-bit cache block's K or V rows
    private readonly NativeScratch _valueTiles = new();     // [threads, ChunkTiles, headDim, 16] f32, V tiles of one head widened or zero-padded
    private readonly NativeScratch _valuesT = new();        // per prefill-sized sequence [kvHeads, headDim, padded context] f32, transposed values
    private readonly NativeScratch _valuesTOffsets = new(); // [sequences] long, where each sequence's transposed values start (−1: none)
    private readonly NativeScratch _tokenSequence = new();  // [tokens] int, sequence index of each token

    /// <summary>
    /// Up to this many tokens, f32/f16/bf16 matmuls stream the weights GEMV-style (groups of 4 tokens per pass);
    /// beyond, the tiled f32 GEMM wins. Its cost barely grows with tokens up to a block, so the crossover is
    /// where the GEMV passes add up to it. Measured (2-core Zen 5, r1-distill-1.5B shapes, ms at 1 / 2 threads):
    /// F32 q/o 1536×1536 at 8 tokens GEMV 0.63 / 0.33 vs GEMM 0.60 / 0.33, down 1536×8960 4.4 / 2.4 vs 3.4 / 1.8,
    /// at 4 tokens GEMV wins everywhere; F16/BF16 pay for decoding every weight to f32 panels, so GEMV wins up
    /// to 16 tokens (BF16 layer q,o,gate,up,down at 16: GEMV 16.9 / 8.6 vs GEMM 17.7 / 9.2; F16 17.8 / 9.0 vs 19.3 / 11.3).
    /// Q8_0 takes the batched GEMV's register tiles (<see cref="Q8Tiles"/>), Q4_0 and Awq4 their rows (<see cref="Q4Rows"/>,
    /// <see cref="AwqRows"/>) below <see cref="CpuKernels.PanelMinTokens"/> tokens and the int8 panel GEMM
    /// (<see cref="PanelGemmJob{TS, TV}"/>) from there; all on Q8_0-quantized activations as llama.cpp does. Q6_K and Q4_K take
    /// their rows (<see cref="Q6Rows"/>, <see cref="Q4KRows"/>) below PanelMinTokens and the K-quant panel GEMM
    /// (<see cref="PanelGemmJob{TS, TV}"/> with <see cref="KPanelTile"/>, or <see cref="KWideTile"/> on the 512-bit tier) from there, on Q8_K activations.
    /// </summary>
    private static int GemvMaxTokens(TensorDType type) => type == TensorDType.F32 ? 4 : 16;

    public override void MatMuls(TensorDType type, int columns, float* x, int tokens, MatMulTarget* targets, int count)
    {
        var all = new ReadOnlySpan<MatMulTarget>(targets, count);
        if (type is TensorDType.Q8_0 or TensorDType.Q4_0 or TensorDType.Awq4 && tokens >= PanelMinTokens)
        {
            PanelGemm(type, columns, x, tokens, all);
        }
        else if (type is TensorDType.Q4_K or TensorDType.Q6_K && tokens >= PanelMinTokens)
        {
            KPanelGemm(type, columns, x, tokens, all);
        }
        else if (TensorDTypeInfo.IsQuantized(type) || tokens <= GemvMaxTokens(type))
        {
            Gemv(type, columns, x, tokens, all);
        }
        else
        {
            TiledGemm(type, columns, x, tokens, all);
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

    public override void RmsNorm(float* x, float* weight, float eps, float* y, int tokens, int dim)
    {
        _pointwise.SetRmsNorm(x, weight, eps, y, tokens, dim, Math.Min(pool.Threads, tokens));
        pool.Run(_pointwise, Math.Min(pool.Threads, tokens));
    }

    public override void Rope(float* x, int* positions, int tokens, int heads, int headDim, float theta)
    {
        float* tables = (float*)_ropeTable.Ensure((long)pool.Threads * headDim * sizeof(float));
        _pointwise.SetRope(x, positions, tokens, heads, headDim, theta, tables, Math.Min(pool.Threads, tokens));
        pool.Run(_pointwise, Math.Min(pool.Threads, tokens));
    }

    public override void SiluMul(float* gate, float* up, float* y, long count)
    {
        int parts = count < PointwiseJob<TS, TV>.MinParallelElements ? 1 : pool.Threads;
        _pointwise.SetSiluMul(gate, up, y, count, parts);
        pool.Run(_pointwise, parts);
    }

    public override void Add(float* x, float* y, long count) => VectorOps.Add<TS, TV>(x, y, count);

    public override void Attention(float* q, byte* keys, byte* values, TensorDType kvType, AttentionMetadata metadata, int heads, int kvHeads, int headDim, float* output)
    {
        int* tokenSequence = (int*)_tokenSequence.Ensure((long)metadata.TokenCount * sizeof(int));
        int maxContext = 0;
        for (int s = 0; s < metadata.Sequences.Length; s++)
        {
            var sequence = metadata.Sequences[s];
            new Span<int>(tokenSequence + sequence.FirstToken, sequence.TokenCount).Fill(s);
            maxContext = Math.Max(maxContext, sequence.ContextLength);
        }

        int group = heads / kvHeads;
        int scoreStride = (maxContext + TS.Count - 1) / TS.Count * TS.Count;
        float* scores = (float*)_scores.Ensure((long)pool.Threads * group * scoreStride * sizeof(float));
        float* lanes = (float*)_lanes.Ensure((long)pool.Threads * group * TS.Count * headDim * sizeof(float));
        float* widened = (float*)_widenedKv.Ensure((long)pool.Threads * metadata.BlockSize * headDim * sizeof(float));
        int kvDim = kvHeads * headDim;
        var keyRows = new KvHeadRows(keys, kvType, kvDim, metadata.BlockSize);
        var valueTiles = new KvValueTiles(values, kvType, kvDim);
        float* tileScratch = (float*)_valueTiles.Ensure((long)pool.Threads * AttentionJob<TS, TV>.ChunkTiles * headDim * KvValueTiles.TileSlots * sizeof(float));
        long* valuesTOffsets = (long*)_valuesTOffsets.Ensure((long)metadata.Sequences.Length * sizeof(long));
        long transposed = 0;
        for (int s = 0; s < metadata.Sequences.Length; s++)
        {
            var sequence = metadata.Sequences[s];
            bool transposes = AttentionJob<TS, TV>.TransposesValues(sequence.TokenCount, headDim);
            valuesTOffsets[s] = transposes ? transposed : -1;
            transposed += transposes ? (long)kvDim * AttentionJob<TS, TV>.PaddedContext(sequence.ContextLength) : 0;
        }

        float* valuesT = transposed > 0 ? (float*)_valuesT.Ensure(transposed * sizeof(float)) : null;
        _attention.Set(q, output, keyRows, valueTiles, widened, tileScratch, scores, scoreStride, lanes, heads, kvHeads, headDim, metadata, tokenSequence, valuesT, valuesTOffsets);
        if (transposed > 0)
        {
            _attention.Begin(AttentionPhase.TransposeValues);
            pool.Run(_attention, metadata.Sequences.Length * kvHeads);
        }

        _attention.Begin(AttentionPhase.Compute);
        pool.Run(_attention, metadata.TokenCount * kvHeads);
    }

    public override void Dispose()
    {
        foreach (var scratch in new[] { _xPairs, _xQuants, _xScales, _xCorrections, _xt, _panels, _runningSums, _int8Panels, _ropeTable, _scores, _lanes, _widenedKv, _valueTiles, _valuesT, _valuesTOffsets, _tokenSequence })
        {
            scratch.Dispose();
        }
    }

    /// <summary>
    /// The f32 tiled GEMM (f32/f16/bf16 weights, many tokens), in blocks of tokens: x packed once per block, then each
    /// target's row tiles over it.
    /// </summary>
    private void TiledGemm(TensorDType type, int columns, float* x, int tokens, ReadOnlySpan<MatMulTarget> targets)
    {
        float* panels = (float*)_panels.Ensure((long)pool.Threads * GemmTiles.Rows * GemmJob<TS, TV>.Depth * sizeof(float));
        for (int t0 = 0; t0 < tokens; t0 += GemmJob<TS, TV>.MaxTokens)
        {
            int blockTokens = Math.Min(GemmJob<TS, TV>.MaxTokens, tokens - t0);
            long xtBytes = (long)columns * GemmJob<TS, TV>.PaddedTokens(blockTokens) * sizeof(float);
            float* xt = (float*)_xt.Ensure(xtBytes);
            for (int i = 0; i < targets.Length; i++)
            {
                var target = targets[i];
                int rows = target.Rows;
                float* yt = (float*)_runningSums.Ensure(GemmJob<TS, TV>.RunningSums(rows, blockTokens) * sizeof(float));
                _gemm.Set(type, target.Weights, rows, columns, x + ((long)t0 * columns), blockTokens, xt, target.Bias, target.Y + ((long)t0 * rows), yt, panels);
                if (i == 0)
                {
                    int packParts = Math.Min(pool.Threads, (columns + 31) / 32);
                    _gemm.Begin(GemmPhase.Pack, packParts);
                    pool.Run(_gemm, packParts);
                }

                int computeParts = Math.Min((rows + GemmTiles.Rows - 1) / GemmTiles.Rows, pool.Threads * 4);
                _gemm.Begin(GemmPhase.Compute, computeParts);
                pool.Run(_gemm, computeParts);
            }
        }
    }

    private void PanelGemm(TensorDType type, int columns, float* x, int tokens, ReadOnlySpan<MatMulTarget> targets)
    {
        int paddedTokens = PanelGemmJob<TS, TV>.PaddedTokens(tokens);
        byte* quants = (byte*)_xQuants.Ensure((long)paddedTokens * columns);
        float* scales = (float*)_xScales.Ensure((long)paddedTokens * (columns / 32) * sizeof(float));
        int* pairSums = PanelGemmJob<TS, TV>.UsesNibbles(type) ? (int*)_xCorrections.Ensure((long)paddedTokens * (columns / 32) * sizeof(int)) : null;
        int quantizeParts = Math.Min(pool.Threads, paddedTokens);
        _panelQuantize.Set(x, tokens, paddedTokens, columns, quants, scales, pairSums, quantizeParts);
        pool.Run(_panelQuantize, quantizeParts);

        foreach (var target in targets)
        {
            RunPanelGemm(type, columns, quants, scales, pairSums, tokens, target);
        }
    }

    private void KPanelGemm(TensorDType type, int columns, float* x, int tokens, ReadOnlySpan<MatMulTarget> targets)
    {
        int paddedTokens = PanelGemmJob<TS, TV>.PaddedTokens(tokens);
        sbyte* quants = (sbyte*)_xQuants.Ensure((long)paddedTokens * columns);
        float* scales = (float*)_xScales.Ensure((long)paddedTokens * (columns / Q8KActivations.BlockSize) * sizeof(float));
        int* sums = (int*)_xCorrections.Ensure((long)paddedTokens * (columns / 16) * sizeof(int));
        int quantizeParts = Math.Min(pool.Threads, paddedTokens);
        _kPanelQuantize.Set(type, x, tokens, paddedTokens, columns, quants, scales, sums, quantizeParts);
        pool.Run(_kPanelQuantize, quantizeParts);

        foreach (var target in targets)
        {
            RunPanelGemm(type, columns, (byte*)quants, scales, sums, tokens, target);
        }
    }

    /// <summary>The panel GEMM on quantized activations: parts split the row panels, each worker packs into its own panel.</summary>
    private void RunPanelGemm(TensorDType type, int columns, byte* quants, float* scales, int* sums, int tokens, in MatMulTarget target)
    {
        byte* panels = (byte*)_int8Panels.Ensure(pool.Threads * PanelGemmJob<TS, TV>.PanelBytes(type, columns));
        int panelRows = PanelGemmJob<TS, TV>.PanelRows(type);
        int parts = Math.Min((target.Rows + panelRows - 1) / panelRows, pool.Threads * 4);
        _panelGemm.Set(type, target.Weights, target.Rows, columns, quants, scales, sums, tokens, target.Bias, target.Y, panels, parts);
        pool.Run(_panelGemm, parts);
    }

    private void Gemv(TensorDType type, int columns, float* x, int tokens, ReadOnlySpan<MatMulTarget> targets)
    {
        float* xPairs = null;
        sbyte* xQuants = null;
        float* xScales = null;
        int* xCorrections = null;
        int* xChunkSums = null;
        if (type is TensorDType.F16 or TensorDType.BF16)
        {
            xPairs = (float*)_xPairs.Ensure((long)tokens * columns * sizeof(float));
            int chunk = 2 * TS.Count;
            for (long t = 0; t < tokens; t++)
            {
                for (int i = 0; i <= columns - chunk; i += chunk)
                {
                    TS.Deinterleave(x + (t * columns) + i, xPairs + (t * columns) + i);
                }
            }
        }
        else if (type is TensorDType.Q6_K or TensorDType.Q4_K)
        {
            // K-quants dot against Q8_K (256-value blocks, exact integer sums): token-major, with the per-token integer sums.
            xQuants = (sbyte*)_xQuants.Ensure((long)tokens * columns);
            xScales = (float*)_xScales.Ensure((long)tokens * (columns / Q8KActivations.BlockSize) * sizeof(float));
            xCorrections = (int*)_xCorrections.Ensure(((long)tokens * (columns / 4) * sizeof(int)) + ((long)tokens * (columns / 32) * sizeof(int)));
            xChunkSums = xCorrections + ((long)tokens * (columns / 4));
            for (long t = 0; t < tokens; t++)
            {
                Q8KActivations.Quantize<TS, TV>(
                    x + (t * columns), columns, xQuants + (t * columns), xScales + (t * (columns / Q8KActivations.BlockSize)),
                    xCorrections + (t * (columns / 4)), xChunkSums + (t * (columns / 32)));
            }

            if (type == TensorDType.Q4_K && Q4KWideRows.Takes<TS, TV>(tokens))
            {
                Q8KActivations.PairChunks(xQuants, columns);
            }
        }
        else if (TensorDTypeInfo.IsQuantized(type))
        {
            xQuants = (sbyte*)_xQuants.Ensure((long)tokens * columns);
            xScales = (float*)_xScales.Ensure((((long)tokens * (columns / 32)) + 3) * sizeof(float));
            xCorrections = (int*)_xCorrections.Ensure((long)tokens * (columns / 4) * sizeof(int));
            int quantizeParts = QuantizeJob<TS, TV>.Parts(tokens, columns, pool.Threads);
            _quantize.Set(x, tokens, columns, xQuants, xScales, xCorrections, quantizeParts);
            pool.Run(_quantize, quantizeParts);
        }

        var activations = new GemvOperands(null, 0, columns, x, xPairs, xQuants, xScales, xCorrections, xChunkSums, null, null);
        Span<GemvOperands> ops = stackalloc GemvOperands[targets.Length];
        long rows = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            ops[i] = activations.For(in targets[i]);
            rows += targets[i].Rows;
        }

        int parts = (int)Math.Min(pool.Threads, rows);
        _gemv.Set(type, ops, tokens, parts);
        pool.Run(_gemv, parts);
    }
}
