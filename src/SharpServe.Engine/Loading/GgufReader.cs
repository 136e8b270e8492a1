using System.Buffers.Binary;
using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Reads GGUF files (versions 2 and 3, little-endian): metadata of every value type, and tensor
/// infos turned into <see cref="WeightTensor"/>s whose data points into the memory map.
/// Every inconsistency is a <see cref="ModelFormatException"/> naming the file.
/// </summary>
public static class GgufReader
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    public const string AlignmentKey = "general.alignment";
    public const uint DefaultAlignment = 32;
    public const int MaxDimensions = 4;

    // The smallest encodings of a KV pair (key length, type, 1-byte value) and of a tensor info
    // (name length, n_dims, one dimension, type, offset): bounds for counts before reading them.
    private const int MinKeyValueBytes = 8 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    /// <summary>True if the file starts with the GGUF magic (used to tell GGUF from other files).</summary>
    public static bool HasMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(path);
            return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4
                && BinaryPrimitives.ReadUInt32LittleEndian(head) == Magic;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot read: {e.Message}", e);
        }
    }

    public static GgufFile Open(string path)
    {
        var map = ModelFiles.Map(path);
        try
        {
            return Parse(path, map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    private static GgufFile Parse(string path, MappedFile map)
    {
        // The header is read in place; it always lies within the first 2 GiB of the file.
        var reader = new GgufSpanReader(map.Slice(0, Math.Min(map.Length, int.MaxValue)).Span, path);
        uint magic = reader.Read<uint>("magic");
        if (magic != Magic)
        {
            throw new ModelFormatException(path, "not a GGUF file (the first 4 bytes are not 'GGUF')");
        }

        uint version = reader.Read<uint>("version");
        if (version is not (2 or 3))
        {
            throw new ModelFormatException(path, BinaryPrimitives.ReverseEndianness(version) is 2 or 3
                ? "big-endian GGUF files are not supported"
                : $"GGUF version {version} is not supported (2 and 3 are)");
        }

        ulong tensorCount = reader.Read<ulong>("tensor count");
        ulong kvCount = reader.Read<ulong>("metadata count");
        var metadata = ReadMetadata(ref reader, reader.CheckCount(kvCount, MinKeyValueBytes, "metadata count"), path);
        uint alignment = metadata.TryGet<uint>(AlignmentKey, out uint explicitAlignment) ? explicitAlignment : DefaultAlignment;
        if (!uint.IsPow2(alignment))
        {
            throw new ModelFormatException(path, $"{AlignmentKey} = {alignment} is not a power of two");
        }

        int count = reader.CheckCount(tensorCount, MinTensorInfoBytes, "tensor count");
        var infos = new List<TensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var info = ReadTensorInfo(ref reader, i, path);
            if (!names.Add(info.Name))
            {
                throw new ModelFormatException(path, $"tensor name '{info.Name}' appears twice");
            }

            infos.Add(info);
        }

        long dataOffset = AlignUp(reader.Position, alignment);
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        long expectedOffset = 0;
        foreach (var info in infos)
        {
            var tensor = ToTensor(info, map, dataOffset, expectedOffset, path);
            tensors.Add(info.Name, tensor);
            expectedOffset += AlignUp(tensor.Data.Length, alignment);
        }

        return new GgufFile(path, version, alignment, dataOffset, metadata, tensors, map);
    }

    private static GgufMetadata ReadMetadata(ref GgufSpanReader reader, int count, string path)
    {
        var entries = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = reader.ReadString($"metadata key {i}");
            if (!entries.TryAdd(key, ReadValue(ref reader, key, path)))
            {
                throw new ModelFormatException(path, $"metadata key '{key}' appears twice");
            }
        }

        return new GgufMetadata(path, entries);
    }

    private static GgufValue ReadValue(ref GgufSpanReader reader, string key, string path)
    {
        var type = (GgufValueType)reader.Read<uint>($"type of '{key}'");
        if (type != GgufValueType.Array)
        {
            return GgufValue.From(type switch
            {
                GgufValueType.UInt8 => reader.Read<byte>(key),
                GgufValueType.Int8 => reader.Read<sbyte>(key),
                GgufValueType.UInt16 => reader.Read<ushort>(key),
                GgufValueType.Int16 => reader.Read<short>(key),
                GgufValueType.UInt32 => reader.Read<uint>(key),
                GgufValueType.Int32 => reader.Read<int>(key),
                GgufValueType.Float32 => reader.Read<float>(key),
                GgufValueType.Bool => reader.Read<byte>(key) != 0,
                GgufValueType.String => reader.ReadString($"value of '{key}'"),
                GgufValueType.UInt64 => reader.Read<ulong>(key),
                GgufValueType.Int64 => reader.Read<long>(key),
                GgufValueType.Float64 => reader.Read<double>(key),
                _ => throw new ModelFormatException(path, $"metadata key '{key}' has unknown value type {(uint)type}"),
            });
        }

        var elementType = (GgufValueType)reader.Read<uint>($"element type of '{key}'");
        ulong count = reader.Read<ulong>($"element count of '{key}'");
        string elements = $"element count of '{key}'";
        return GgufValue.From(elementType switch
        {
            GgufValueType.UInt8 => reader.ReadArray<byte>(count, elements),
            GgufValueType.Int8 => reader.ReadArray<sbyte>(count, elements),
            GgufValueType.UInt16 => reader.ReadArray<ushort>(count, elements),
            GgufValueType.Int16 => reader.ReadArray<short>(count, elements),
            GgufValueType.UInt32 => reader.ReadArray<uint>(count, elements),
            GgufValueType.Int32 => reader.ReadArray<int>(count, elements),
            GgufValueType.Float32 => reader.ReadArray<float>(count, elements),
            GgufValueType.Bool => Array.ConvertAll(reader.ReadArray<byte>(count, elements), b => b != 0),
            GgufValueType.String => ReadStrings(ref reader, count, key),
            GgufValueType.UInt64 => reader.ReadArray<ulong>(count, elements),
            GgufValueType.Int64 => reader.ReadArray<long>(count, elements),
            GgufValueType.Float64 => reader.ReadArray<double>(count, elements),
            // llama.cpp refuses nested arrays as well.
            _ => throw new ModelFormatException(path, $"metadata key '{key}' is an array of unsupported type {(uint)elementType}"),
        });
    }

    private static string[] ReadStrings(ref GgufSpanReader reader, ulong count, string key)
    {
        // Each string takes at least its 8-byte length.
        var strings = new string[reader.CheckCount(count, 8, $"element count of '{key}'")];
        for (int i = 0; i < strings.Length; i++)
        {
            strings[i] = reader.ReadString(key, i);
        }

        return strings;
    }

    private static TensorInfo ReadTensorInfo(ref GgufSpanReader reader, int index, string path)
    {
        string name = reader.ReadString($"name of tensor {index}");
        uint dims = reader.Read<uint>($"dimension count of tensor '{name}'");
        if (dims is 0 or > MaxDimensions)
        {
            throw new ModelFormatException(path, $"tensor '{name}' has {dims} dimensions; 1 to {MaxDimensions} are supported");
        }

        var ne = new long[dims];
        for (int d = 0; d < ne.Length; d++)
        {
            ulong size = reader.Read<ulong>($"dimension {d} of tensor '{name}'");
            ne[d] = size <= int.MaxValue
                ? (long)size
                : throw new ModelFormatException(path, $"tensor '{name}' dimension {d} is {size}, more than {int.MaxValue}");
        }

        uint type = reader.Read<uint>($"type of tensor '{name}'");
        ulong offset = reader.Read<ulong>($"data offset of tensor '{name}'");
        return new TensorInfo(name, ne, type, offset);
    }

    private static WeightTensor ToTensor(TensorInfo info, MappedFile map, long dataOffset, long expectedOffset, string path)
    {
        var type = GgmlType.ToDType(info.Type)
            ?? throw new ModelFormatException(path, $"tensor {info.Name} has type {GgmlType.Name(info.Type)} ({info.Type}), not supported yet");

        // ggml stores ne innermost first; PyTorch order is the reverse.
        int[] shape = info.Ne.Reverse().Select(d => (int)d).ToArray();
        string shapeText = $"[{string.Join(", ", shape)}]";
        if (info.Ne[0] % TensorDTypeInfo.BlockSize(type) != 0)
        {
            throw new ModelFormatException(path, $"tensor {info.Name} is {type} with rows of {info.Ne[0]} values, not a multiple of {TensorDTypeInfo.BlockSize(type)}");
        }

        // Every element takes at least half a byte (Q4_0: 18 bytes per 32), so more than two elements per file byte
        // cannot be stored; the bound also keeps the product and ByteSize far from overflowing.
        long elements = 1;
        foreach (long d in info.Ne)
        {
            if (d != 0 && elements > 2 * map.Length / d)
            {
                throw new ModelFormatException(path, $"tensor {info.Name} {shapeText} is larger than the file ({map.Length} bytes)");
            }

            elements *= d;
        }

        long bytes = TensorDTypeInfo.ByteSize(type, elements);

        // Like llama.cpp: tensors lie in info order, each padded to the alignment, so no two overlap.
        if (info.Offset != (ulong)expectedOffset)
        {
            throw new ModelFormatException(
                path, $"tensor {info.Name} has data offset {info.Offset}, expected {expectedOffset} (tensors must be stored in order, each padded to the alignment)");
        }

        long start = dataOffset + expectedOffset;
        if (start > map.Length - bytes)
        {
            throw new ModelFormatException(path, $"truncated: tensor {info.Name} {type} {shapeText} needs bytes [{start}, {start + bytes}) but the file has {map.Length}");
        }

        if (bytes > int.MaxValue)
        {
            throw new ModelFormatException(path, $"tensor {info.Name} has {bytes} bytes; tensors over 2 GiB are not supported");
        }

        return new WeightTensor(info.Name, type, shape, map.Slice(start, bytes));
    }

    private static long AlignUp(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    private sealed record TensorInfo(string Name, long[] Ne, uint Type, ulong Offset);
}
