using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Engine.Loading;

/// <summary>An opened GGUF file: its metadata and tensors. The tensors' data is the memory map, valid until disposal.</summary>
public sealed class GgufFile : IDisposable
{
    private readonly MappedFile _map;

    internal GgufFile(
        string path, uint version, uint alignment, long dataOffset, GgufMetadata metadata, IReadOnlyDictionary<string, WeightTensor> tensors, MappedFile map)
    {
        Path = path;
        Version = version;
        Alignment = alignment;
        DataOffset = dataOffset;
        Metadata = metadata;
        Tensors = tensors;
        _map = map;
    }

    public string Path { get; }
    public uint Version { get; }
    public uint Alignment { get; }

    /// <summary>Byte offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public GgufMetadata Metadata { get; }

    /// <summary>Tensors by name, enumerated in file order.</summary>
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }

    public void Dispose() => _map.Dispose();
}
