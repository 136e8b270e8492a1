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
/// reused for every token tile while the xt chunk stays in L2. Output rows are split across parts, so
/// every weight byte is read from memory once per token block.
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
    private float* _panels;   // [workers, GemmTiles.Rows, Depth]
    private int _parts;

    public static int PaddedTokens(int tokens) => (tokens + TS.Count - 1) / TS.Count * TS.Count;

    public void Set(TensorDType type, byte* weights, int rows, int columns, float* x, int tokens, float* xt, float* bias, float* y, float* panels)
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pack(int start, int end)
    {
        int stride = _paddedTokens;
        for (int k = start; k < end; k++)
        {
            new Span<float>(_xt + ((long)k * stride) + _tokens, stride - _tokens).Clear();
        }

        for (int t = 0; t < _tokens; t++)
        {
            float* row = _x + ((long)t * _columns);
            for (int k = start; k < end; k++)
            {
                _xt[((long)k * stride) + t] = row[k];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int firstBlock, int endBlock, float* panelScratch)
    {
        int count = TS.Count;
        float* tile = stackalloc float[GemmTiles.Rows * 2 * count];
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

                for (int t0 = 0; t0 < _paddedTokens;)
                {
                    int vectors = t0 + (2 * count) <= _paddedTokens ? 2 : 1;
                    if (vectors == 2)
                    {
                        GemmTiles.Rows8x2<TS, TV>(panel, panelStride, xt + t0, _paddedTokens, depth, tile);
                    }
                    else
                    {
                        GemmTiles.Rows8x1<TS, TV>(panel, panelStride, xt + t0, _paddedTokens, depth, tile);
                    }

                    Scatter(tile, vectors * count, t0, row0, validRows, firstChunk: k0 == 0);
                    t0 += vectors * count;
                }
            }
        }
    }

    /// <summary>Adds tile [rows, width] into y[t0.., row0..]; the first k chunk writes (plus bias) instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scatter(float* tile, int width, int t0, int row0, int validRows, bool firstChunk)
    {
        int tokens = Math.Min(width, _tokens - t0);
        for (int t = 0; t < tokens; t++)
        {
            float* destination = _y + ((long)(t0 + t) * _rows) + row0;
            for (int r = 0; r < validRows; r++)
            {
                float value = tile[(r * width) + t];
                if (firstChunk)
                {
                    destination[r] = _bias == null ? value : value + _bias[row0 + r];
                }
                else
                {
                    destination[r] += value;
                }
            }
        }
    }
}
