using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Memory;

/// <summary>Element type of the KV cache: f32 (the default on CPU) or a 16-bit type that halves its memory.</summary>
public enum KvCacheDType
{
    Float32,
    Float16,
    BFloat16,
}

public static class KvCacheDTypeExtensions
{
    /// <summary>The values --kv-cache-dtype accepts; "auto" is f32, the CPU default.</summary>
    public const string FlagValues = "auto, float32, float16, bfloat16";

    /// <summary>Reads a --kv-cache-dtype value (vLLM's flag name); anything else is an <see cref="ArgumentException"/> listing the choices.</summary>
    public static KvCacheDType Parse(string value) => value.ToLowerInvariant() switch
    {
        "auto" or "float32" or "fp32" => KvCacheDType.Float32,
        "float16" or "fp16" or "half" => KvCacheDType.Float16,
        "bfloat16" or "bf16" => KvCacheDType.BFloat16,
        _ => throw new ArgumentException($"--kv-cache-dtype: '{value}' is not one of {FlagValues}"),
    };

    public static int BytesPerElement(this KvCacheDType type) => type switch
    {
        KvCacheDType.Float32 => 4,
        KvCacheDType.Float16 or KvCacheDType.BFloat16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown KV cache dtype"),
    };

    /// <summary>The same element as a tensor dtype: K/V rows are encoded and decoded with the weight codecs.</summary>
    public static TensorDType ElementType(this KvCacheDType type) => type switch
    {
        KvCacheDType.Float32 => TensorDType.F32,
        KvCacheDType.Float16 => TensorDType.F16,
        KvCacheDType.BFloat16 => TensorDType.BF16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown KV cache dtype"),
    };
}
