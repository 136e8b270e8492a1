namespace SharpServe.Engine.Loading;

/// <summary>Storage types a weight tensor may have on disk (and, since weights are used in place, in memory).</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
    /// <summary>ggml Q8_0: blocks of 32 values, each an fp16 scale followed by 32 int8 quants (34 bytes).</summary>
    Q8_0,
    /// <summary>ggml Q4_0: blocks of 32 values, each an fp16 scale followed by 16 bytes of 4-bit quants (18 bytes).</summary>
    Q4_0,
    /// <summary>
    /// ggml Q6_K: super-blocks of 256 values, 210 bytes each: ql[128] (low 4 bits), qh[64] (high 2 bits), 16 int8
    /// scales (one per 16 values) and an fp16 d; value = d · scale · (q − 32).
    /// </summary>
    Q6_K,
    /// <summary>
    /// ggml Q4_K: super-blocks of 256 values, 144 bytes each: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins (8
    /// sub-blocks of 32) and 128 bytes of 4-bit quants; value = d · scale · q − dmin · min.
    /// </summary>
    Q4_K,
    /// <summary>
    /// AutoAWQ 4-bit weights repacked at load (never stored in a file): per row, groups of 128 values of 68 bytes each,
    /// an fp16 scale s, the zero point z (one byte), a padding byte, then 64 bytes of 4-bit q as four Q4_0-style runs of 32
    /// (byte j of run k holds element 32k + j low and 32k + j + 16 high); value = s · (q − z).
    /// </summary>
    Awq4,
    /// <summary>Little-endian int32: the packed tensors of an AutoAWQ checkpoint (qweight, qzeros), read only to be repacked.</summary>
    I32,
}

public static class TensorDTypeInfo
{
    public const int Q8_0BlockSize = 32;
    public const int Q8_0BlockBytes = 34;
    public const int Q4_0BlockSize = 32;
    public const int Q4_0BlockBytes = 18;
    public const int Q6_KBlockSize = 256;
    public const int Q6_KBlockBytes = 210;
    public const int Q4_KBlockSize = 256;
    public const int Q4_KBlockBytes = 144;
    public const int Awq4BlockSize = 128;
    public const int Awq4BlockBytes = 68;

    /// <summary>Values per block: 1 for the float and integer types, 32 for Q8_0 and Q4_0, 128 for Awq4, 256 for the K-quants Q6_K and Q4_K.</summary>
    public static int BlockSize(TensorDType type) => type switch
    {
        TensorDType.Q8_0 => Q8_0BlockSize,
        TensorDType.Q4_0 => Q4_0BlockSize,
        TensorDType.Q6_K => Q6_KBlockSize,
        TensorDType.Q4_K => Q4_KBlockSize,
        TensorDType.Awq4 => Awq4BlockSize,
        _ => 1,
    };

    /// <summary>True for the block quantizations (ggml's and the repacked Awq4), which have no torch dtype and must not straddle rows.</summary>
    public static bool IsQuantized(TensorDType type) => type is TensorDType.Q8_0 or TensorDType.Q4_0 or TensorDType.Q6_K or TensorDType.Q4_K or TensorDType.Awq4;

    /// <summary>Bytes needed for <paramref name="elements"/> values; the quantized types require whole blocks.</summary>
    public static long ByteSize(TensorDType type, long elements) => type switch
    {
        TensorDType.F32 or TensorDType.I32 => elements * 4,
        TensorDType.F16 or TensorDType.BF16 => elements * 2,
        TensorDType.Q8_0 => Blocks(type, elements) * Q8_0BlockBytes,
        TensorDType.Q4_0 => Blocks(type, elements) * Q4_0BlockBytes,
        TensorDType.Q6_K => Blocks(type, elements) * Q6_KBlockBytes,
        TensorDType.Q4_K => Blocks(type, elements) * Q4_KBlockBytes,
        TensorDType.Awq4 => Blocks(type, elements) * Awq4BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static long Blocks(TensorDType type, long elements) => elements % BlockSize(type) == 0
        ? elements / BlockSize(type)
        : throw new ArgumentException($"{type} needs a multiple of {BlockSize(type)} elements, got {elements}");
}
