namespace SharpServe.Engine.Kernels.MatMul;

internal enum GemmPhase
{
    /// <summary>Transpose the activations.</summary>
    Pack,

    /// <summary>Multiply weight panels by the packed activations.</summary>
    Compute,
}
