using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>One output of <see cref="IComputeBackend.MatMuls"/>: Output = x·Weightᵀ + Bias, [tokens, out]; Bias empty or [out].</summary>
public readonly record struct Projection(WeightTensor Weight, float[] Bias, Activations Output);
