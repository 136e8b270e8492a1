namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>One weight of a matmul and where its result goes, pinned: y = x·Wᵀ + bias with W [rows, columns] in the call's dtype, y [tokens, rows], bias [rows] or null.</summary>
internal readonly unsafe struct MatMulTarget(byte* weights, int rows, float* bias, float* y)
{
    public byte* Weights { get; } = weights;
    public int Rows { get; } = rows;
    public float* Bias { get; } = bias;
    public float* Y { get; } = y;
}
