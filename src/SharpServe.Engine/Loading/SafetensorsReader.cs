using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Reads a .safetensors file in place: 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and data offsets, then the data. Validation follows the reference
/// implementation: tensors lie back to back from the start of the data to the end of the file.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>The reference implementation's limit; a larger header is refused rather than parsed.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    public static SafetensorsFile Open(string path)
    {
        var map = ModelFiles.Map(path);
        try
        {
            return new SafetensorsFile(path, ReadTensors(path, map), map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    private static Dictionary<string, WeightTensor> ReadTensors(string path, MappedFile map)
    {
        if (map.Length < 8)
        {
            throw new ModelFormatException(path, $"truncated: {map.Length} bytes, less than the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(map.Slice(0, 8).Span);
        if (headerLength > MaxHeaderBytes)
        {
            throw new ModelFormatException(path, $"header length {headerLength} is over the {MaxHeaderBytes}-byte limit (corrupt or not a safetensors file)");
        }

        if ((long)headerLength > map.Length - 8)
        {
            throw new ModelFormatException(path, $"truncated: header length {headerLength} is larger than the rest of the file ({map.Length - 8} bytes)");
        }

        var header = map.Slice(8, (long)headerLength);
        long dataStart = 8 + (long)headerLength;
        long dataLength = map.Length - dataStart;
        var entries = ParseHeader(path, header, dataLength);

        // Back to back in offset order: no gaps, no overlaps, nothing after the last tensor.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Begin != position)
            {
                throw new ModelFormatException(path, entry.Begin < position
                    ? $"tensor {entry.Name} data [{entry.Begin}, {entry.End}) overlaps the previous tensor, which ends at {position}"
                    : $"tensor {entry.Name} data starts at {entry.Begin}, leaving a gap after the previous tensor, which ends at {position}");
            }

            tensors.Add(entry.Name, new WeightTensor(entry.Name, entry.Type, entry.Shape, map.Slice(dataStart + entry.Begin, entry.End - entry.Begin)));
            position = entry.End;
        }

        if (position != dataLength)
        {
            throw new ModelFormatException(path, $"{dataLength - position} bytes follow the last tensor's data (corrupt header or wrong file)");
        }

        return tensors;
    }

    private static List<Entry> ParseHeader(string path, ReadOnlyMemory<byte> header, long dataLength)
    {
        // Checked first so that reading names and strings below cannot fail on bad encoding.
        if (!Utf8.IsValid(header.Span))
        {
            throw new ModelFormatException(path, "the header is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"the header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(path, "the header is not a JSON object");
            }

            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw new ModelFormatException(path, $"tensor {property.Name} appears twice in the header");
                }

                if (property.Name != MetadataKey)
                {
                    entries.Add(ParseEntry(path, property.Name, property.Value, dataLength));
                }
            }

            return entries;
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        ModelFormatException Bad(string problem) => new(path, $"tensor {name}: {problem}");

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad("the header entry is not an object");
        }

        string dtypeName = value.TryGetProperty("dtype", out var dtype) && dtype.ValueKind == JsonValueKind.String
            ? dtype.GetString()!
            : throw Bad("'dtype' is missing or not a string");
        var type = SafetensorsDType.Parse(dtypeName)
            ?? throw new ModelFormatException(path, $"tensor {name} has dtype {dtypeName}, not supported (F32, F16, BF16 and I32 are)");

        if (!value.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array || shapeJson.GetArrayLength() == 0)
        {
            throw Bad("'shape' is missing, not an array, or empty (scalars are not supported)");
        }

        // Every element takes at least one byte, so the element count is bounded by the data size.
        var shape = new int[shapeJson.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var dim in shapeJson.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
            {
                throw Bad($"shape entry {dim.GetRawText()} is not a non-negative 32-bit integer");
            }

            if (size != 0 && elements > dataLength / size)
            {
                throw Bad($"shape [{string.Join(", ", shapeJson.EnumerateArray().Select(d => d.GetRawText()))}] is larger than the file's data");
            }

            elements *= size;
            shape[i++] = size;
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !TryGetOffset(offsets[0], out long begin) || !TryGetOffset(offsets[1], out long end) || begin > end)
        {
            throw Bad("'data_offsets' must be [begin, end] with 0 <= begin <= end");
        }

        long bytes = TensorDTypeInfo.ByteSize(type, elements);
        if (end - begin != bytes)
        {
            throw Bad($"{dtypeName} [{string.Join(", ", shape)}] needs {bytes} bytes, but data_offsets [{begin}, {end}) hold {end - begin}");
        }

        if (end > dataLength)
        {
            throw new ModelFormatException(path, $"truncated: tensor {name} data [{begin}, {end}) runs past the end of the data ({dataLength} bytes)");
        }

        return bytes <= int.MaxValue ? new Entry(name, type, shape, begin, end) : throw Bad($"{bytes} bytes; tensors over 2 GiB are not supported");
    }

    private static bool TryGetOffset(JsonElement element, out long offset)
    {
        offset = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out offset) && offset >= 0;
    }

    private sealed record Entry(string Name, TensorDType Type, int[] Shape, long Begin, long End);
}
