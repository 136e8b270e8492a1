namespace SharpServe.Engine.Loading;

/// <summary>Storage types a weight tensor may have on disk (and, since weights are used in place, in memory).</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
    /// <summary>ggml Q8_0: blocks of 32 values, each an fp16 scale followed by 32 int8 quants (34 bytes).</summary>
    Q8_0,
}

public static class TensorDTypeInfo
{
    public const int Q8_0BlockSize = 32;
    public const int Q8_0BlockBytes = 34;

    /// <summary>Bytes needed for <paramref name="elements"/> values; Q8_0 requires a multiple of 32.</summary>
    public static long ByteSize(TensorDType type, long elements) => type switch
    {
        TensorDType.F32 => elements * 4,
        TensorDType.F16 or TensorDType.BF16 => elements * 2,
        TensorDType.Q8_0 => elements % Q8_0BlockSize == 0
            ? elements / Q8_0BlockSize * Q8_0BlockBytes
            : throw new ArgumentException($"Q8_0 needs a multiple of {Q8_0BlockSize} elements, got {elements}"),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
