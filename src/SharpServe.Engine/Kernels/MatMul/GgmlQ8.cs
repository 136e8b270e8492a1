using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// The f32 side of llama.cpp's x86 Q8_0 dot product (ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS_Q0
/// agree): 8 lanes, per block in order acc = fma(fp32(w.d)·fp32(x.d), lanes, acc), then hsum_float_8.
/// Following the same order matters: activations are re-quantized before every matmul, so an ulp of
/// difference can flip a rounding tie and grow into visibly different logits a few tokens later.
/// </summary>
internal static class GgmlQ8
{
    /// <summary>scale: fp32(w.d)·fp32(x.d) in every lane (a product of two broadcasts rounds exactly like the scalar product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Accumulate(Vector256<float> scale, Vector256<int> lanes, Vector256<float> accumulator) =>
        Vector256.FusedMultiplyAdd(scale, Vector256.ConvertToSingle(lanes), accumulator);

    /// <summary>hsum_float_8: ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> accumulator)
    {
        var quarter = accumulator.GetUpper() + accumulator.GetLower();
        return (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
    }
}
