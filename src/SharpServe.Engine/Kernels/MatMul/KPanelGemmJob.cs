using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Multi-token y = x·Wᵀ + b for Q4_K and Q6_K weights as an int8 panel GEMM, the K-quant counterpart of
/// <see cref="PanelGemmJob{TS, TV}"/>: parts split the 8-row blocks; each block is unpacked once per token chunk into the
/// worker's <see cref="KWeightPanel"/> (~11 bytes a column, in L2) and reused by every <see cref="KPanelTile"/> of the chunk,
/// where the row kernels (<see cref="Q4KRows"/>, <see cref="Q6Rows"/>) unpack every super-block again for each group of 4
/// tokens. Chunks bound the activations a panel streams past, as in PanelGemmJob. Activations:
/// <see cref="KPanelQuantizeJob{TS, TV}"/>, padded to whole tiles.
/// </summary>
internal sealed unsafe class KPanelGemmJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>Activation bytes of one token chunk (see PanelGemmJob's ChunkBytes).</summary>
    private const int ChunkBytes = 4 * 1024 * 1024;

    private TensorDType _type;
    private byte* _weights;    // [rows, columns] Q4_K or Q6_K
    private int _rows;
    private int _columns;
    private sbyte* _quants;    // [paddedTokens, columns] Q8_K
    private float* _scales;    // [paddedTokens, columns / 256]
    private int* _sums;        // [paddedTokens, columns / 16], see KPanelQuantizeJob
    private int _tokens;
    private float* _bias;      // [rows] or null
    private float* _y;         // [tokens, rows]
    private byte* _panels;     // [workers, KWeightPanel.Bytes(columns)]
    private int _parts;

    public static int PaddedTokens(int tokens) => (tokens + KPanelTile.Tokens - 1) / KPanelTile.Tokens * KPanelTile.Tokens;

    public void Set(TensorDType type, byte* weights, int rows, int columns, sbyte* quants, float* scales, int* sums, int tokens, float* bias, float* y, byte* panels, int parts)
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
        int rowBlocks = (_rows + KWeightPanel.Rows - 1) / KWeightPanel.Rows;
        int firstBlock = (int)((long)rowBlocks * part / _parts);
        int endBlock = (int)((long)rowBlocks * (part + 1) / _parts);
        int blocks = _columns / Q8KActivations.BlockSize;
        int sumStride = _columns / 16;
        byte* panel = _panels + (worker * KWeightPanel.Bytes(_columns));
        int chunkTokens = Math.Max(KPanelTile.Tokens, ChunkBytes / _columns / KPanelTile.Tokens * KPanelTile.Tokens);
        for (int c0 = 0; c0 < _tokens; c0 += chunkTokens)
        {
            int c1 = Math.Min(_tokens, c0 + chunkTokens);
            for (int block = firstBlock; block < endBlock; block++)
            {
                int row0 = block * KWeightPanel.Rows;
                int validRows = Math.Min(KWeightPanel.Rows, _rows - row0);
                KWeightPanel.Pack<TS, TV>(_type, _weights, _columns, row0, validRows, panel);
                float* bias = _bias == null ? null : _bias + row0;
                for (int t0 = c0; t0 < c1; t0 += KPanelTile.Tokens)
                {
                    KPanelTile.Run<TS, TV>(
                        _type, panel, _quants + ((long)t0 * _columns), _scales + ((long)t0 * blocks), _sums + ((long)t0 * sumStride),
                        _columns, bias, _y + ((long)t0 * _rows) + row0, _rows, validRows, c1 - t0);
                }
            }
        }
    }
}
