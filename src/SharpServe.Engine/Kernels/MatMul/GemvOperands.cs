namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Pointers of one GEMV call. Activations are prepared once per call for the weight format:
/// F32 reads <see cref="X"/>; F16/BF16 read <see cref="XPairs"/> (each 2·Count chunk deinterleaved) and
/// <see cref="X"/> for the tail; Q8_0 and Q4_0 read <see cref="XQuants"/>, <see cref="XScales"/> and <see cref="XCorrections"/>;
/// Q6_K and Q4_K read Q8_K activations (<see cref="Q8KActivations"/>), token-major: <see cref="XQuants"/> [tokens, columns],
/// <see cref="XScales"/> [tokens, columns / 256], <see cref="XCorrections"/> [tokens, columns / 4] (Q6_K's −32·Σ q per 4 values)
/// and <see cref="XChunkSums"/> [tokens, columns / 32] (Q4_K's Σ q per 32 values).
/// </summary>
internal readonly unsafe struct GemvOperands(byte* weights, int rows, int columns, float* x, float* xPairs, sbyte* xQuants, float* xScales, int* xCorrections, int* xChunkSums, float* bias, float* y)
{
    public byte* Weights { get; } = weights;   // [rows, columns] in the weight dtype
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;
    public float* X { get; } = x;              // [tokens, columns]
    public float* XPairs { get; } = xPairs;    // [tokens, columns]
    public sbyte* XQuants { get; } = xQuants;  // [groups, columns / 32, groupTokens, 32] (QuantizeJob's groups of 4 tokens)
    public float* XScales { get; } = xScales;  // [groups, columns / 32, groupTokens], 3 floats of padding after
    public int* XCorrections { get; } = xCorrections;  // [groups, columns / 32, groupTokens, 8]
    public int* XChunkSums { get; } = xChunkSums;      // [tokens, columns / 32], K-quants only
    public float* Bias { get; } = bias;        // [rows] or null
    public float* Y { get; } = y;              // [tokens, rows]

    /// <summary>These activations against another weight (the next output of one input).</summary>
    public GemvOperands For(in MatMulTarget target) =>
        new(target.Weights, target.Rows, Columns, X, XPairs, XQuants, XScales, XCorrections, XChunkSums, target.Bias, target.Y);
}
