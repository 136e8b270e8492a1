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
