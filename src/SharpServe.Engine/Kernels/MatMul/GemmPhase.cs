namespace SharpServe.Engine.Kernels.MatMul;

internal enum GemmPhase
{
    /// <summary>Transpose (and for Q8_0 quantize) the activations.</summary>
    Pack,

    /// <summary>Multiply weight panels by the packed activations.</summary>
    Compute,
}
