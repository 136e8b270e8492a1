namespace SharpServe.Engine.Loading;

/// <summary>The safetensors dtype strings SharpServe reads and writes, and the order the reference writer sorts them in.</summary>
internal static class SafetensorsDType
{
    public static string Name(TensorDType type) => type switch
    {
        TensorDType.F32 => "F32",
        TensorDType.F16 => "F16",
        TensorDType.BF16 => "BF16",
        TensorDType.I32 => "I32",
        _ => throw new ArgumentException($"safetensors has no {type} dtype", nameof(type)),
    };

    public static TensorDType? Parse(string name) => name switch
    {
        "F32" => TensorDType.F32,
        "F16" => TensorDType.F16,
        "BF16" => TensorDType.BF16,
        "I32" => TensorDType.I32,
        _ => null,
    };

    /// <summary>
    /// Rank in the reference implementation's Dtype enum (declared in increasing alignment:
    /// ... F16, BF16, I32, U32, F32, ...); its writer lays tensors out by descending rank, then by name.
    /// </summary>
    public static int Rank(TensorDType type) => type switch
    {
        TensorDType.F16 => 0,
        TensorDType.BF16 => 1,
        TensorDType.I32 => 2,
        TensorDType.F32 => 3,
        _ => throw new ArgumentException($"safetensors has no {type} dtype", nameof(type)),
    };
}
