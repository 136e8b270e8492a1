using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Writes .safetensors files byte-compatible with the reference implementation (tensors sorted by
/// descending dtype, then name; header padded with spaces to a multiple of 8; metadata
/// <c>{"format": "pt"}</c> as transformers writes it), or a sharded checkpoint with the index that
/// transformers writes. Tensor bytes come from callbacks, so nothing large is held in memory.
/// </summary>
public sealed class SafetensorsWriter
{
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly List<Tensor> _tensors = [];

    /// <summary>Adds a tensor (F32, F16 or BF16); <paramref name="writeData"/> must write exactly its bytes.</summary>
    public void AddTensor(string name, TensorDType type, int[] shape, Action<Stream> writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(writeData);
        if (TensorDTypeInfo.IsQuantized(type))
        {
            throw new ArgumentException($"tensor {name}: safetensors has no {type} dtype; {type} weights go in GGUF files", nameof(type));
        }

        if (shape.Length == 0 || shape.Any(d => d < 0))
        {
            throw new ArgumentException($"tensor {name}: shape [{string.Join(", ", shape)}] must have at least one dimension, none negative", nameof(shape));
        }

        if (_tensors.Exists(t => t.Name == name))
        {
            throw new ArgumentException($"tensor {name} was already added", nameof(name));
        }

        long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
        _tensors.Add(new Tensor(name, type, (int[])shape.Clone(), TensorDTypeInfo.ByteSize(type, elements), writeData));
    }

    /// <summary>Writes every tensor to one file (atomically: under a temporary name, renamed when complete).</summary>
    public void Write(string path) => WriteFile(path, _tensors);

    /// <summary>
    /// Writes <c>model-0000i-of-0000N.safetensors</c> shards of at most <paramref name="maxShardBytes"/>
    /// of tensor data (a bigger tensor gets a shard of its own) and <c>model.safetensors.index.json</c>,
    /// splitting in insertion order as huggingface_hub does; a single shard is written as <c>model.safetensors</c>.
    /// </summary>
    public void WriteSharded(string directory, long maxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        Directory.CreateDirectory(directory);
        var shards = Split(maxShardBytes);
        if (shards.Count == 1)
        {
            WriteFile(Path.Combine(directory, SafetensorsWeights.SingleFileName), shards[0]);
            return;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string fileName = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteFile(Path.Combine(directory, fileName), shards[i]);
            shards[i].ForEach(t => weightMap.Add(t.Name, fileName));
        }

        WriteIndex(Path.Combine(directory, SafetensorsWeights.IndexFileName), _tensors.Sum(t => t.Bytes), weightMap);
    }

    private List<List<Tensor>> Split(long maxShardBytes)
    {
        var shards = new List<List<Tensor>>();
        var current = new List<Tensor>();
        long currentBytes = 0;
        foreach (var tensor in _tensors)
        {
            if (tensor.Bytes > maxShardBytes)
            {
                shards.Add([tensor]);
                continue;
            }

            if (currentBytes + tensor.Bytes > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }

            current.Add(tensor);
            currentBytes += tensor.Bytes;
        }

        if (current.Count > 0 || shards.Count == 0)
        {
            shards.Add(current);
        }

        return shards;
    }

    private static void WriteFile(string path, IEnumerable<Tensor> tensors)
    {
        var ordered = tensors
            .OrderByDescending(t => SafetensorsDType.Rank(t.Type))
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        byte[] header = Header(ordered);
        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            file.Write(header);
            foreach (var tensor in ordered)
            {
                TensorDataStream.Run(file, tensor.Name, tensor.Bytes, tensor.WriteData);
            }
        });
    }

    private static byte[] Header(List<Tensor> ordered)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, CompactJson))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafetensorsDType.Name(tensor.Type));
                json.WriteStartArray("shape");
                Array.ForEach(tensor.Shape, d => json.WriteNumberValue(d));
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Bytes;
            }

            json.WriteEndObject();
        }

        // Padding to 8 bytes keeps every tensor's data aligned for its dtype.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    // As transformers: json.dumps(index, indent=2, sort_keys=True) + "\n".
    private static void WriteIndex(string path, long totalSize, SortedDictionary<string, string> weightMap)
    {
        AtomicFile.Write(path, file =>
        {
            using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteStartObject("metadata");
                json.WriteNumber("total_size", totalSize);
                json.WriteEndObject();
                json.WriteStartObject("weight_map");
                foreach (var (name, fileName) in weightMap)
                {
                    json.WriteString(name, fileName);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        });
    }

    private sealed record Tensor(string Name, TensorDType Type, int[] Shape, long Bytes, Action<Stream> WriteData);
}
