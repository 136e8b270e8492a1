namespace SharpServe.Engine.Loading;

/// <summary>
/// One GGUF metadata value: a scalar (boxed .NET primitive), a string, or a one-dimensional array
/// of either (<c>uint[]</c>, <c>string[]</c>, ...). The .NET type alone decides the GGUF type, so a
/// value read back compares equal in type to the one written.
/// </summary>
public sealed class GgufValue
{
    private static readonly Dictionary<Type, GgufValueType> ScalarTypes = new()
    {
        [typeof(byte)] = GgufValueType.UInt8,
        [typeof(sbyte)] = GgufValueType.Int8,
        [typeof(ushort)] = GgufValueType.UInt16,
        [typeof(short)] = GgufValueType.Int16,
        [typeof(uint)] = GgufValueType.UInt32,
        [typeof(int)] = GgufValueType.Int32,
        [typeof(float)] = GgufValueType.Float32,
        [typeof(bool)] = GgufValueType.Bool,
        [typeof(string)] = GgufValueType.String,
        [typeof(ulong)] = GgufValueType.UInt64,
        [typeof(long)] = GgufValueType.Int64,
        [typeof(double)] = GgufValueType.Float64,
    };

    private GgufValue(GgufValueType type, GgufValueType? elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type of an array; null for scalars and strings.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The boxed scalar, the string, or the typed array.</summary>
    public object Value { get; }

    /// <summary>Wraps a primitive, a string, or a 1-D array of those; anything else is refused.</summary>
    public static GgufValue From(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value is Array array)
        {
            var element = array.GetType().GetElementType()!;
            if (array.Rank != 1 || !ScalarTypes.TryGetValue(element, out var elementType))
            {
                throw new ArgumentException($"GGUF arrays hold primitives or strings, not {array.GetType().Name}", nameof(value));
            }

            if (value is string?[] strings && Array.IndexOf(strings, null) >= 0)
            {
                throw new ArgumentException("a GGUF string array cannot contain null", nameof(value));
            }

            return new GgufValue(GgufValueType.Array, elementType, value);
        }

        return ScalarTypes.TryGetValue(value.GetType(), out var type)
            ? new GgufValue(type, null, value)
            : throw new ArgumentException($"GGUF has no value type for {value.GetType().Name}", nameof(value));
    }

    /// <summary>The GGUF type name of a .NET type as <see cref="From"/> maps it ("uint32", "array of string"); null if unmapped.</summary>
    internal static string? TypeName(Type type) =>
        type.IsArray && type.GetElementType() is { } element && ScalarTypes.TryGetValue(element, out var elementType)
            ? $"array of {Name(elementType)}"
            : ScalarTypes.TryGetValue(type, out var scalar) ? Name(scalar) : null;

    /// <summary>"uint32", "string", "array of int32 (300)" — for error messages.</summary>
    public string Describe() => ElementType is { } element
        ? $"array of {Name(element)} ({((Array)Value).Length})"
        : Name(Type);

    private static string Name(GgufValueType type) => type.ToString().ToLowerInvariant();
}
