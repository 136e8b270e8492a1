using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Multi-token y = x·Wᵀ + b for Q8_0, Q4_0, Awq4, Q4_K and Q6_K weights as an int8 panel GEMM: parts split the 8-row blocks;
/// each block is packed once per token chunk into the worker's panel (<see cref="WeightPanel"/>, 10 bytes a column, or
/// for the K-quants <see cref="KWeightPanel"/>, ~11; in L1/L2) and reused by every tile of the chunk (<see cref="PanelTile"/>,
/// 8 tokens, or <see cref="KPanelTile"/>, 4 with two chains each; on the 512-bit tier the K-quants take 32-row <see cref="KWidePanel"/>s
/// and <see cref="KWideTile"/>, 6 tokens). Chunks bound the activations a panel streams past to <see cref="ChunkBytes"/>,
/// so they stay in the last-level cache however many tokens come (the weights are then re-read and repacked once per chunk).
/// Activations: <see cref="PanelQuantizeJob{TS, TV}"/> or <see cref="KPanelQuantizeJob{TS, TV}"/>, padded to whole tiles.
/// </summary>
internal sealed unsafe class PanelGemmJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>Tokens per micro-kernel call: 8 integer and 8 f32 accumulators.</summary>
    public const int TileTokens = 8;

    /// <summary>
    /// Activation bytes of one token chunk. A tile streams its 8 tokens' activations at a few bytes a cycle, which L3 serves
    /// as well as L2, so chunks only need to fit L3; sizing them for L2 (512 KiB) split down_proj's 128 tokens into three
    /// chunks and its repacking cost ~1.3–2× (measured, noisy machine).
    /// </summary>
    private const int ChunkBytes = 4 * 1024 * 1024;

    private TensorDType _type;
    private byte* _weights;    // [rows, columns] Q8_0, Q4_0, Awq4, Q4_K or Q6_K
    private int _rows;
    private int _columns;
    private byte* _quants;     // [paddedTokens, columns / 32, 32] x + 128; K-quants: [paddedTokens, columns] Q8_K
    private float* _scales;    // [paddedTokens, columns / 32]; K-quants: [paddedTokens, columns / 256]
    private int* _sums;        // K-quants: [paddedTokens, columns / 16], see KPanelQuantizeJob
    private int _tokens;
    private float* _bias;      // [rows] or null
    private float* _y;         // [tokens, rows]
    private byte* _panels;     // [workers, PanelBytes(type, columns)]
    private int _parts;

    public static bool IsKQuant(TensorDType type) => type is TensorDType.Q4_K or TensorDType.Q6_K;

    public static int PaddedTokens(int tokens) => (tokens + TileTokens - 1) / TileTokens * TileTokens;

    /// <summary>Whether this tier's K-quant panels are <see cref="KWidePanel"/>s (32 rows, <see cref="KWideTile"/>) rather than <see cref="KWeightPanel"/>s.</summary>
    private static bool Wide(TensorDType type) => IsKQuant(type) && KWideTile.Runs<TS, TV>();

    /// <summary>Rows of one panel: the unit parts split.</summary>
    public static int PanelRows(TensorDType type) => Wide(type) ? KWidePanel.Rows : WeightPanel.Rows;

    /// <summary>One worker's panel bytes.</summary>
    public static long PanelBytes(TensorDType type, int columns)
        => Wide(type) ? KWidePanel.Bytes(columns) : IsKQuant(type) ? KWeightPanel.Bytes(columns) : WeightPanel.Bytes(columns);

    /// <summary>sums: the K-quants' (null for the others).</summary>
    public void Set(TensorDType type, byte* weights, int rows, int columns, byte* quants, float* scales, int* sums, int tokens, float* bias, float* y, byte* panels, int parts)
    {
        _type = type;
        _weights = weights;
        _rows = rows;
        _columns = columns;
        _quants = quants;
        _scales = scales;
        _sums = sums;
        _tokens = tokens;
        _bias = bias;
        _y = y;
        _panels = panels;
        _parts = parts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        int panelRows = PanelRows(_type);
        int rowBlocks = (_rows + panelRows - 1) / panelRows;
        int firstBlock = (int)((long)rowBlocks * part / _parts);
        int endBlock = (int)((long)rowBlocks * (part + 1) / _parts);
        bool kQuant = IsKQuant(_type);
        bool wide = Wide(_type);
        int tileTokens = kQuant ? KPanelTile.Tokens : TileTokens;
        byte* panel = _panels + (worker * PanelBytes(_type, _columns));
        int chunkTokens = Math.Max(TileTokens, ChunkBytes / _columns / TileTokens * TileTokens);
        for (int c0 = 0; c0 < _tokens; c0 += chunkTokens)
        {
            int c1 = Math.Min(_tokens, c0 + chunkTokens);
            for (int block = firstBlock; block < endBlock; block++)
            {
                int row0 = block * panelRows;
                int validRows = Math.Min(panelRows, _rows - row0);
                float* bias = _bias == null ? null : _bias + row0;
                if (wide)
                {
                    KWidePanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                    int paddedEnd = Math.Min(c0 + chunkTokens, PaddedTokens(_tokens));
                    if (_type == TensorDType.Q4_K)
                    {
                        WideTiles<Q4KPanel>(panel, c0, c1, paddedEnd, row0, validRows, bias);
                    }
                    else
                    {
                        WideTiles<Q6KPanel>(panel, c0, c1, paddedEnd, row0, validRows, bias);
                    }

                    continue;
                }

                if (kQuant)
                {
                    KWeightPanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                }
                else
                {
                    WeightPanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                }

                for (int t0 = c0; t0 < c1; t0 += tileTokens)
                {
                    float* y = _y + ((long)t0 * _rows) + row0;
                    if (_type == TensorDType.Q4_K)
                    {
                        KPanelTile.Run<TS, TV, Q4KPanel>(
                            panel, (sbyte*)_quants + ((long)t0 * _columns), _scales + ((long)t0 * (_columns / 256)), _sums + ((long)t0 * (_columns / 16)),
                            _columns, bias, y, _rows, validRows, c1 - t0);
                    }
                    else if (kQuant)
                    {
                        KPanelTile.Run<TS, TV, Q6KPanel>(
                            panel, (sbyte*)_quants + ((long)t0 * _columns), _scales + ((long)t0 * (_columns / 256)), _sums + ((long)t0 * (_columns / 16)),
                            _columns, bias, y, _rows, validRows, c1 - t0);
                    }
                    else
                    {
                        PanelTile.Run<TS, TV, EightTokens>(panel, _quants + ((long)t0 * _columns), _scales + ((long)t0 * (_columns / 32)), _columns, bias, y, _rows, validRows, c1 - t0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tokens [c0, c1) of one <see cref="KWidePanel"/>: 6-token tiles, and the rest of the chunk's padded tokens
    /// [c0, paddedEnd) (an even count: rest 0, 2 or 4 after the sixes) as one or two 4-token tiles, never past the padding.
    /// </summary>
    private void WideTiles<TF>(byte* panel, int c0, int c1, int paddedEnd, int row0, int validRows, float* bias)
        where TF : struct, IKPanelFormat
    {
        int fours = ((paddedEnd - c0) % 6) switch { 4 => 1, 2 => 2, _ => 0 };
        int sixesEnd = paddedEnd - (4 * fours);
        for (int t0 = c0; t0 < c1; t0 += t0 < sixesEnd ? 6 : 4)
        {
            sbyte* x = (sbyte*)_quants + ((long)t0 * _columns);
            float* xd = _scales + ((long)t0 * (_columns / 256));
            int* xs = _sums + ((long)t0 * (_columns / 16));
            float* y = _y + ((long)t0 * _rows) + row0;
            if (t0 < sixesEnd)
            {
                KWideTile.Run<TF, SixTokens>(panel, x, xd, xs, _columns, bias, y, _rows, validRows, c1 - t0);
            }
            else
            {
                KWideTile.Run<TF, FourTokens>(panel, x, xd, xs, _columns, bias, y, _rows, validRows, c1 - t0);
            }
        }
    }
}
