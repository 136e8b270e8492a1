using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Multi-token y = x·Wᵀ + b for f32/f16/bf16 weights (quantized types have their own integer paths), one block of at
/// most <see cref="MaxTokens"/> tokens, in two dispatches: <see cref="GemmPhase.Pack"/> transposes x into
/// xt ([columns, paddedTokens], zero-padded), then <see cref="GemmPhase.Compute"/>
/// walks k in chunks of <see cref="Depth"/>: each 8-row weight panel is widened to f32 once (L1) and
/// reused for every token tile while the xt chunk stays in L2. The tiles keep their running sums in yt
/// ([rows, paddedTokens], token-contiguous like the registers), and each part transposes its rows into y once at the
/// end: scattering every chunk's tile into y element by element had cost about a tenth of a tile's time.
/// Output rows are split across parts, so every weight byte is read from memory once per token block.
/// </summary>
internal sealed unsafe class GemmJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>Tokens per block: xt chunk = Depth · MaxTokens · 4 bytes = 256 KiB, sized for L2.</summary>
    public const int MaxTokens = 128;

    /// <summary>k per chunk: 8 panel rows × Depth f32 = 16 KiB, sized for L1.</summary>
    public const int Depth = 512;

    private GemmPhase _phase;
    private TensorDType _type;
    private byte* _weights;   // [rows, columns] in _type
    private long _rowBytes;
    private int _rows;
    private int _columns;
    private float* _x;        // [tokens, columns]
    private int _tokens;
    private int _paddedTokens;
    private float* _xt;       // [columns, paddedTokens]
    private float* _bias;     // [rows] or null
    private float* _y;        // [tokens, rows]
    private float* _yt;       // [rows rounded up to GemmTiles.Rows, paddedTokens] running sums
    private float* _panels;   // [workers, GemmTiles.Rows, Depth]
    private int _parts;

    public static int PaddedTokens(int tokens) => (tokens + TS.Count - 1) / TS.Count * TS.Count;

    /// <summary>Floats of the yt scratch for a [rows, paddedTokens] block.</summary>
    public static long RunningSums(int rows, int tokens) => (long)((rows + GemmTiles.Rows - 1) / GemmTiles.Rows * GemmTiles.Rows) * PaddedTokens(tokens);

    public void Set(TensorDType type, byte* weights, int rows, int columns, float* x, int tokens, float* xt, float* bias, float* y, float* yt, float* panels)
    {
        _type = type;
        _weights = weights;
        _rowBytes = TensorDTypeInfo.ByteSize(type, columns);
        _rows = rows;
        _columns = columns;
        _x = x;
        _tokens = tokens;
        _paddedTokens = PaddedTokens(tokens);
        _xt = xt;
        _bias = bias;
        _y = y;
        _yt = yt;
        _panels = panels;
    }

    /// <summary>Selects the phase the next dispatch runs and its part count.</summary>
    public void Begin(GemmPhase phase, int parts)
    {
        _phase = phase;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        if (_phase == GemmPhase.Pack)
        {
            // Split on 32-column boundaries so Q8_0 blocks stay whole.
            int blocks = (_columns + 31) / 32;
            int start = (int)((long)blocks * part / _parts) * 32;
            int end = Math.Min((int)((long)blocks * (part + 1) / _parts) * 32, _columns);
            Pack(start, end);
        }
        else
        {
            int rowBlocks = (_rows + GemmTiles.Rows - 1) / GemmTiles.Rows;
            Compute((int)((long)rowBlocks * part / _parts), (int)((long)rowBlocks * (part + 1) / _parts), _panels + ((long)worker * GemmTiles.Rows * Depth));
        }
    }

    /// <summary>
    /// Columns per pass of both transposes: the 16 xt rows (or yt rows) a pass writes (reads) are 16 token-long runs that
    /// stay in L1 while every token's 16 values (one cache line of x or y) go through. Element by element over whole rows,
    /// each access had been a different cache line, and the two transposes had cost ~10 % of a bf16 prefill's GEMM time.
    /// </summary>
    private const int TransposeColumns = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack(int start, int end)
    {
        int stride = _paddedTokens;
        for (int k = start; k < end; k++)
        {
            new Span<float>(_xt + ((long)k * stride) + _tokens, stride - _tokens).Clear();
        }

        for (int k0 = start; k0 < end; k0 += TransposeColumns)
        {
            int k1 = Math.Min(end, k0 + TransposeColumns);
            for (int t = 0; t < _tokens; t++)
            {
                float* row = _x + ((long)t * _columns);
                for (int k = k0; k < k1; k++)
                {
                    _xt[((long)k * stride) + t] = row[k];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int firstBlock, int endBlock, float* panelScratch)
    {
        int count = TS.Count;
        for (int k0 = 0; k0 < _columns; k0 += Depth)
        {
            int depth = Math.Min(Depth, _columns - k0);
            float* xt = _xt + ((long)k0 * _paddedTokens);
            for (int block = firstBlock; block < endBlock; block++)
            {
                int row0 = block * GemmTiles.Rows;
                int validRows = Math.Min(GemmTiles.Rows, _rows - row0);
                float* panel;
                long panelStride;
                if (_type == TensorDType.F32 && validRows == GemmTiles.Rows)
                {
                    // f32 weights are used in place; no widening needed.
                    panel = (float*)_weights + ((long)row0 * _columns) + k0;
                    panelStride = _columns;
                }
                else
                {
                    panel = panelScratch;
                    panelStride = Depth;
                    for (int r = 0; r < GemmTiles.Rows; r++)
                    {
                        if (r < validRows)
                        {
                            RowDecoder.Decode<TS, TV>(_type, _weights + ((row0 + r) * _rowBytes), k0, depth, panel + (r * Depth));
                        }
                        else
                        {
                            new Span<float>(panel + (r * Depth), depth).Clear();
                        }
                    }
                }

                if (block + 1 < endBlock && _type != TensorDType.F32)
                {
                    PrefetchPanel(row0 + GemmTiles.Rows, k0, depth);
                }

                float* sums = _yt + ((long)row0 * _paddedTokens);
                for (int t0 = 0; t0 < _paddedTokens;)
                {
                    if (t0 + (2 * count) <= _paddedTokens)
                    {
                        GemmTiles.Rows8x2<TS, TV>(panel, panelStride, xt + t0, _paddedTokens, depth, sums + t0, _paddedTokens, first: k0 == 0);
                        t0 += 2 * count;
                    }
                    else
                    {
                        GemmTiles.Rows8x1<TS, TV>(panel, panelStride, xt + t0, _paddedTokens, depth, sums + t0, _paddedTokens, first: k0 == 0);
                        t0 += count;
                    }
                }
            }
        }

        Transpose(firstBlock * GemmTiles.Rows, Math.Min(_rows, endBlock * GemmTiles.Rows));
    }

    /// <summary>
    /// Asks for the next panel's weights (8 rows × depth values of this k chunk, short runs in 8 rows that the hardware
    /// prefetcher does not pick up in time) while the current panel's tiles run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchPanel(int row0, int k0, int depth)
    {
        int rows = Math.Min(GemmTiles.Rows, _rows - row0);
        long bytes = TensorDTypeInfo.ByteSize(_type, depth);
        long offset = TensorDTypeInfo.ByteSize(_type, k0);
        for (int r = 0; r < rows; r++)
        {
            byte* start = _weights + ((row0 + r) * _rowBytes) + offset;
            for (long b = 0; b < bytes; b += 64)
            {
                TS.Prefetch(start + b);
            }
        }
    }

    /// <summary>y[t, r] = yt[r, t] (+ bias[r]) for rows [rowStart, rowEnd); without a bias nothing is added, as in ggml, so −0 stays −0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transpose(int rowStart, int rowEnd)
    {
        for (int r0 = rowStart; r0 < rowEnd; r0 += TransposeColumns)
        {
            int r1 = Math.Min(rowEnd, r0 + TransposeColumns);
            for (int t = 0; t < _tokens; t++)
            {
                float* destination = _y + ((long)t * _rows);
                for (int r = r0; r < r1; r++)
                {
                    float value = _yt[((long)r * _paddedTokens) + t];
                    destination[r] = _bias == null ? value : value + _bias[r];
                }
            }
        }
    }
}
