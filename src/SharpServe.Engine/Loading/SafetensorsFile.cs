using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Engine.Loading;

/// <summary>An opened .safetensors file. The tensors' data is the memory map, valid until disposal.</summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly MappedFile _map;

    internal SafetensorsFile(string path, IReadOnlyDictionary<string, WeightTensor> tensors, MappedFile map)
    {
        Path = path;
        Tensors = tensors;
        _map = map;
    }

    public string Path { get; }

    /// <summary>Tensors by name, enumerated in data order.</summary>
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }

    public void Dispose() => _map.Dispose();
}
