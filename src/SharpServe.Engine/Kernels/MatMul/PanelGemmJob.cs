using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Multi-token y = x·Wᵀ + b for Q8_0, Q4_0, Awq4, Q4_K and Q6_K weights as an int8 panel GEMM: parts split the row blocks;
/// each block is packed once per token chunk into the worker's panel (<see cref="WeightPanel"/>, 8 rows, 10 bytes a column;
/// for the K-quants <see cref="KWeightPanel"/>, ~11; in L1/L2)
/// and reused by every tile of the chunk (<see cref="PanelTile"/>, 8 tokens; <see cref="KPanelTile"/>, 4 with two chains
/// each). On the 512-bit tier with AVX-512BW (<see cref="WideTier"/>) the 4-bit formats take 32-row panels and 6-token
/// vpmaddubsw tiles instead: Q4_0 and Awq4 <see cref="NibblePanel"/> and <see cref="NibbleTile"/>, the K-quants
/// <see cref="KWidePanel"/> and <see cref="KWideTile"/>; Q8_0 stays on vpdpbusd. Chunks bound the activations a panel streams past to <see cref="ChunkBytes"/>,
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
    private int* _sums;        // K-quants: [paddedTokens, columns / 16], see KPanelQuantizeJob; nibble panels: [paddedTokens, columns / 32] pair sums
    private int _tokens;
    private float* _bias;      // [rows] or null
    private float* _y;         // [tokens, rows]
    private byte* _panels;     // [workers, PanelBytes(type, columns)]
    private int _parts;

    public static bool IsKQuant(TensorDType type) => type is TensorDType.Q4_K or TensorDType.Q6_K;

    /// <summary>
    /// Whether this tier runs the 4-bit formats on 512-bit vpmaddubsw tiles (32-row panels): .NET has no 512-bit vpdpbusd,
    /// and on this Zen 5 a 512-bit vpmaddubsw + vpaddw pair does twice the multiply-adds of a 256-bit vpdpbusd. A constant for the JIT.
    /// </summary>
    public static bool WideTier => TS.Count == 16 && Avx512BW.IsSupported;

    /// <summary>Whether <paramref name="type"/> runs on <see cref="NibblePanel"/>s.</summary>
    public static bool UsesNibbles(TensorDType type) => type is TensorDType.Q4_0 or TensorDType.Awq4 && WideTier;

    /// <summary>Whether <paramref name="type"/> runs on <see cref="KWidePanel"/>s.</summary>
    private static bool Wide(TensorDType type) => IsKQuant(type) && WideTier;

    /// <summary>Rows of one panel: the unit parts split.</summary>
    public static int PanelRows(TensorDType type)
        => UsesNibbles(type) ? NibblePanel.Rows : Wide(type) ? KWidePanel.Rows : IsKQuant(type) ? KWeightPanel.Rows : WeightPanel.Rows;

    public static int PaddedTokens(int tokens) => (tokens + TileTokens - 1) / TileTokens * TileTokens;

    /// <summary>One worker's panel bytes.</summary>
    public static long PanelBytes(TensorDType type, int columns)
        => UsesNibbles(type) ? NibblePanel.Bytes(columns) : Wide(type) ? KWidePanel.Bytes(columns) : IsKQuant(type) ? KWeightPanel.Bytes(columns) : WeightPanel.Bytes(columns);

    /// <summary>sums: the K-quants' (see <see cref="KPanelQuantizeJob{TS, TV}"/>) or the nibble tiles' pair sums (see <see cref="PanelQuantizeJob{TS, TV}"/>); null for the others.</summary>
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
        bool nibbles = UsesNibbles(_type);
        bool wide = Wide(_type);
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
                    WideTiles(panel, row0, validRows, bias, c0, c1);
                }
                else if (kQuant)
                {
                    KWeightPanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                    KTiles(panel, row0, validRows, bias, c0, c1);
                }
                else if (nibbles)
                {
                    if (block + 1 < endBlock)
                    {
                        PrefetchRows(row0 + panelRows, Math.Min(panelRows, _rows - row0 - panelRows));
                    }

                    NibblePanel.Pack(_type, _weights, _columns, row0, validRows, panel);
                    NibbleTiles(panel, row0, validRows, bias, c0, c1);
                }
                else
                {
                    WeightPanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                    for (int t0 = c0; t0 < c1; t0 += TileTokens)
                    {
                        PanelTile.Run<TS, TV, EightTokens>(
                            panel, _quants + ((long)t0 * _columns), _scales + ((long)t0 * (_columns / 32)), _columns, bias, Y(t0, row0), _rows, validRows, c1 - t0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Starts loading the weight rows of the part's next nibble panel, one linear run, while this panel is packed and its
    /// tiles run. Pack reads a panel's rows a block at a time, 32 streams a row apart, whose misses the tiles' arithmetic
    /// never hid: with the model's weights in DRAM, a 32-token step's Q4_0 matmuls took 17–25 % less time with this
    /// (gate/up 2.54 → 1.95 ms, lm_head 44 → 33 ms) and a 512-token prefill's 3 % less (per-op medians of alternating runs,
    /// 2026-12-07). Only for the nibble panels: the same prefetch measured 0 % for Q8_0 and 0–20 % slower for the K-quants
    /// (into L1 or L2; why was not pursued).
    /// </summary>
    private void PrefetchRows(int row0, int rows)
    {
        long rowBytes = TensorDTypeInfo.ByteSize(_type, _columns);
        byte* start = _weights + (row0 * rowBytes);
        long bytes = rows * rowBytes;
        for (long line = 0; line < bytes; line += 64)
        {
            TS.Prefetch(start + line);
        }
    }

    private float* Y(int t0, int row0) => _y + ((long)t0 * _rows) + row0;

    private void KTiles(byte* panel, int row0, int validRows, float* bias, int c0, int c1)
    {
        for (int t0 = c0; t0 < c1; t0 += KPanelTile.Tokens)
        {
            sbyte* x = (sbyte*)_quants + ((long)t0 * _columns);
            float* xd = _scales + ((long)t0 * (_columns / 256));
            int* xs = _sums + ((long)t0 * (_columns / 16));
            if (_type == TensorDType.Q4_K)
            {
                KPanelTile.Run<TS, TV, Q4KPanel>(panel, x, xd, xs, _columns, bias, Y(t0, row0), _rows, validRows, c1 - t0);
            }
            else
            {
                KPanelTile.Run<TS, TV, Q6KPanel>(panel, x, xd, xs, _columns, bias, Y(t0, row0), _rows, validRows, c1 - t0);
            }
        }
    }

    /// <summary>
    /// Where a wide chunk's 6-token tiles end: its tokens padded to whole <see cref="TileTokens"/> (n, even) are 6-token tiles
    /// and then one or two 4-token ones for n mod 6 = 4 or 2, so no tile computes more than the padding.
    /// </summary>
    private static int SixesEnd(int c0, int c1)
    {
        int n = PaddedTokens(c1 - c0);
        return c0 + n - (4 * (n % 6 == 0 ? 0 : n % 6 == 4 ? 1 : 2));
    }

    private void NibbleTiles(byte* panel, int row0, int validRows, float* bias, int c0, int c1)
    {
        int sixesEnd = SixesEnd(c0, c1);
        int blocks = _columns / 32;
        for (int t0 = c0; t0 < c1; t0 += t0 < sixesEnd ? 6 : 4)
        {
            sbyte* x = (sbyte*)_quants + ((long)t0 * _columns);
            float* xd = _scales + ((long)t0 * blocks);
            int* xp = _sums + ((long)t0 * blocks);
            if (t0 < sixesEnd)
            {
                NibbleTile.Run<SixTokens>(panel, x, xd, xp, _columns, bias, Y(t0, row0), _rows, validRows, c1 - t0);
            }
            else
            {
                NibbleTile.Run<FourTokens>(panel, x, xd, xp, _columns, bias, Y(t0, row0), _rows, validRows, c1 - t0);
            }
        }
    }

    private void WideTiles(byte* panel, int row0, int validRows, float* bias, int c0, int c1)
    {
        int sixesEnd = SixesEnd(c0, c1);
        for (int t0 = c0; t0 < c1; t0 += t0 < sixesEnd ? 6 : 4)
        {
            sbyte* x = (sbyte*)_quants + ((long)t0 * _columns);
            float* xd = _scales + ((long)t0 * (_columns / 256));
            int* xs = _sums + ((long)t0 * (_columns / 16));
            if (_type == TensorDType.Q4_K)
            {
                WideTile<Q4KPanel>(panel, x, xd, xs, bias, Y(t0, row0), validRows, c1 - t0, t0 < sixesEnd);
            }
            else
            {
                WideTile<Q6KPanel>(panel, x, xd, xs, bias, Y(t0, row0), validRows, c1 - t0, t0 < sixesEnd);
            }
        }
    }

    private void WideTile<TF>(byte* panel, sbyte* x, float* xd, int* xs, float* bias, float* y, int validRows, int validTokens, bool six)
        where TF : struct, IKPanelFormat
    {
        if (six)
        {
            KWideTile.Run<TF, SixTokens>(panel, x, xd, xs, _columns, bias, y, _rows, validRows, validTokens);
        }
        else
        {
            KWideTile.Run<TF, FourTokens>(panel, x, xd, xs, _columns, bias, y, _rows, validRows, validTokens);
        }
    }
}
