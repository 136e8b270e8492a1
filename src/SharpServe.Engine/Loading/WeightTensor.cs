namespace SharpServe.Engine.Loading;

/// <summary>
/// A named weight as stored in the checkpoint. <see cref="Shape"/> is in PyTorch order, outermost
/// first (a linear layer is [out, in]); GGUF's reversed "ne" order is converted on load.
/// <see cref="Data"/> points into the memory-mapped file: nothing is copied.
/// </summary>
public sealed class WeightTensor
{
    public WeightTensor(string name, TensorDType type, int[] shape, ReadOnlyMemory<byte> data)
    {
        Name = name;
        Type = type;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }
    public TensorDType Type { get; }
    public int[] Shape { get; }
    public ReadOnlyMemory<byte> Data { get; }

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Rows of a matrix ([rows, cols]); a vector is one row.</summary>
    public int Rows => Shape.Length == 1 ? 1 : Shape[0];

    /// <summary>Innermost dimension: the length of one row.</summary>
    public int Columns => Shape[^1];

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}
