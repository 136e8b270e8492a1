namespace SharpServe.Engine.Memory;

/// <summary>Element type of the KV cache. Only the element size matters to the budget.</summary>
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
}
