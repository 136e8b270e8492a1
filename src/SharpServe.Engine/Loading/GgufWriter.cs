using System.Text;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Writes a GGUF v3 file the way llama.cpp's gguf-py does: header, metadata in insertion order,
/// tensor infos, then each tensor's data at an aligned offset, padded to the alignment. Tensor
/// bytes come from callbacks run in order during <see cref="Write"/>, so a multi-GB model is
/// streamed to disk and never held in memory.
/// </summary>
public sealed class GgufWriter
{
    public const uint Version = 3;

    /// <summary>llama.cpp refuses tensor names of 64 bytes or more (GGML_MAX_NAME).</summary>
    public const int MaxTensorNameBytes = 63;

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<Tensor> _tensors = [];
    private uint _alignment = GgufReader.DefaultAlignment;

    public void AddString(string key, string value) => Add(key, GgufValue.From(value));
    public void AddUInt32(string key, uint value) => Add(key, GgufValue.From(value));
    public void AddInt32(string key, int value) => Add(key, GgufValue.From(value));
    public void AddFloat32(string key, float value) => Add(key, GgufValue.From(value));
    public void AddBool(string key, bool value) => Add(key, GgufValue.From(value));
    public void AddStringArray(string key, IReadOnlyList<string> values) => Add(key, GgufValue.From(values.ToArray()));
    public void AddInt32Array(string key, IReadOnlyList<int> values) => Add(key, GgufValue.From(values.ToArray()));

    /// <summary>Adds a value of any GGUF type. <c>general.alignment</c>, if added, must be a power-of-two uint32 and sets the layout.</summary>
    public void Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_metadata.Exists(kv => kv.Key == key))
        {
            throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        }

        if (key == GgufReader.AlignmentKey)
        {
            _alignment = value.Value is uint alignment && uint.IsPow2(alignment)
                ? alignment
                : throw new ArgumentException($"{GgufReader.AlignmentKey} must be a uint32 power of two", nameof(value));
        }

        _metadata.Add(new(key, value));
    }

    /// <summary>
    /// Adds a tensor. <paramref name="shape"/> is in PyTorch order (outermost first); it is stored
    /// reversed as ggml's ne. <paramref name="writeData"/> must write exactly the tensor's bytes.
    /// </summary>
    public void AddTensor(string name, TensorDType type, int[] shape, Action<Stream> writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(writeData);
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
        {
            throw new ArgumentException($"tensor name '{name}' is longer than llama.cpp's limit of {MaxTensorNameBytes} bytes", nameof(name));
        }

        if (shape.Length is 0 or > GgufReader.MaxDimensions || shape.Any(d => d < 0))
        {
            throw new ArgumentException($"tensor {name}: shape [{string.Join(", ", shape)}] must have 1 to {GgufReader.MaxDimensions} non-negative dimensions", nameof(shape));
        }

        if (shape[^1] % TensorDTypeInfo.BlockSize(type) != 0)
        {
            throw new ArgumentException($"tensor {name}: {type} rows must be a multiple of {TensorDTypeInfo.BlockSize(type)} values, got {shape[^1]}", nameof(shape));
        }

        if (_tensors.Exists(t => t.Name == name))
        {
            throw new ArgumentException($"tensor {name} was already added", nameof(name));
        }

        long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
        _tensors.Add(new Tensor(name, type, (int[])shape.Clone(), TensorDTypeInfo.ByteSize(type, elements), writeData));
    }

    /// <summary>Writes the file (atomically: under a temporary name, renamed when complete).</summary>
    public void Write(string path)
    {
        uint alignment = _alignment;
        AtomicFile.Write(path, file =>
        {
            using (var header = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                header.Write(GgufReader.Magic);
                header.Write(Version);
                header.Write((ulong)_tensors.Count);
                header.Write((ulong)_metadata.Count);
                foreach (var (key, value) in _metadata)
                {
                    WriteString(header, key);
                    WriteValue(header, value);
                }

                long offset = 0;
                foreach (var tensor in _tensors)
                {
                    WriteString(header, tensor.Name);
                    header.Write((uint)tensor.Shape.Length);
                    foreach (int d in tensor.Shape.Reverse())
                    {
                        header.Write((ulong)d);
                    }

                    header.Write(GgmlType.FromDType(tensor.Type));
                    header.Write((ulong)offset);
                    offset += Padded(tensor.Bytes, alignment);
                }
            }

            Pad(file, alignment);
            foreach (var tensor in _tensors)
            {
                TensorDataStream.Run(file, tensor.Name, tensor.Bytes, tensor.WriteData);
                Pad(file, alignment);
            }
        });
    }

    private static void WriteValue(BinaryWriter writer, GgufValue value)
    {
        writer.Write((uint)value.Type);
        if (value.Value is Array array)
        {
            writer.Write((uint)value.ElementType!.Value);
            writer.Write((ulong)array.Length);
            foreach (object element in array)
            {
                WriteScalar(writer, element);
            }
        }
        else
        {
            WriteScalar(writer, value.Value);
        }
    }

    // BinaryWriter is little-endian on every platform, as GGUF requires.
    private static void WriteScalar(BinaryWriter writer, object value)
    {
        switch (value)
        {
            case byte v: writer.Write(v); break;
            case sbyte v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case bool v: writer.Write(v); break;
            case string v: WriteString(writer, v); break;
            case ulong v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            default: throw new InvalidOperationException($"GgufValue holds an unexpected {value.GetType().Name}");
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static long Padded(long bytes, uint alignment) => (bytes + alignment - 1) / alignment * alignment;

    private static void Pad(Stream file, uint alignment)
    {
        long padding = Padded(file.Position, alignment) - file.Position;
        for (long i = 0; i < padding; i++)
        {
            file.WriteByte(0);
        }
    }

    private sealed record Tensor(string Name, TensorDType Type, int[] Shape, long Bytes, Action<Stream> WriteData);
}
