using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>Conversions between f32 and the stored weight dtypes (load-time and create-model use, not the hot path).</summary>
public static class WeightCodec
{
    /// <summary>Widens a whole tensor (any dtype) to f32; used once at load for norms and biases.</summary>
    public static float[] ToFloat(WeightTensor tensor) => throw new NotImplementedException("kernels helper pending");

    /// <summary>Encodes f32 values into <paramref name="type"/>'s bytes (BF16 round-to-nearest-even, F16 IEEE, Q8_0 like ggml's quantize_row_q8_0_ref).</summary>
    public static void Encode(TensorDType type, ReadOnlySpan<float> source, Span<byte> destination) => throw new NotImplementedException("kernels helper pending");
}
