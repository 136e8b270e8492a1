namespace SharpServe.Engine.Loading;

/// <summary>ggml tensor type ids as GGUF stores them, and which of them SharpServe can use.</summary>
internal static class GgmlType
{
    public const uint F32 = 0;
    public const uint F16 = 1;
    public const uint Q4_0 = 2;
    public const uint Q8_0 = 8;
    public const uint Q4_K = 12;
    public const uint Q6_K = 14;
    public const uint BF16 = 30;

    public static uint FromDType(TensorDType type) => type switch
    {
        TensorDType.F32 => F32,
        TensorDType.F16 => F16,
        TensorDType.Q8_0 => Q8_0,
        TensorDType.Q4_0 => Q4_0,
        TensorDType.Q6_K => Q6_K,
        TensorDType.Q4_K => Q4_K,
        TensorDType.BF16 => BF16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static TensorDType? ToDType(uint id) => id switch
    {
        F32 => TensorDType.F32,
        F16 => TensorDType.F16,
        Q8_0 => TensorDType.Q8_0,
        Q4_0 => TensorDType.Q4_0,
        Q6_K => TensorDType.Q6_K,
        Q4_K => TensorDType.Q4_K,
        BF16 => TensorDType.BF16,
        _ => null,
    };

    /// <summary>ggml's own name for a type id, so an unsupported quantization is named the way its user knows it.</summary>
    public static string Name(uint id) => id switch
    {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        30 => "BF16",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        _ => "unknown type",
    };
}
