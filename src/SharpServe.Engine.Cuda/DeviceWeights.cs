using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda;

/// <summary>
/// The device copy of each weight, uploaded the first time a kernel needs it and kept for the backend's life: matrices
/// in their stored bytes, norms and biases as f32. Keyed by the host object, which the bound model holds for its life.
/// </summary>
internal sealed class DeviceWeights(Accelerator accelerator) : IDisposable
{
    private readonly Dictionary<object, MemoryBuffer> _buffers = new(ReferenceEqualityComparer.Instance);

    public ArrayView<byte> Matrix(WeightTensor weight)
    {
        if (!_buffers.TryGetValue(weight, out var buffer))
        {
            var bytes = accelerator.Allocate1D<byte>(Math.Max(weight.Data.Length, 1));
            ((ArrayView<byte>)bytes.View).SubView(0, weight.Data.Length).CopyFromCPU(weight.Data.Span);
            buffer = Keep(weight, bytes);
        }

        return ((ArrayView<byte>)((MemoryBuffer1D<byte, Stride1D.Dense>)buffer).View).SubView(0, weight.Data.Length);
    }

    public ArrayView<float> Vector(float[] values)
    {
        if (!_buffers.TryGetValue(values, out var buffer))
        {
            var floats = accelerator.Allocate1D<float>(Math.Max(values.Length, 1));
            ((ArrayView<float>)floats.View).SubView(0, values.Length).CopyFromCPU(values.AsSpan());
            buffer = Keep(values, floats);
        }

        return ((ArrayView<float>)((MemoryBuffer1D<float, Stride1D.Dense>)buffer).View).SubView(0, values.Length);
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers.Values)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
    }

    private MemoryBuffer Keep(object key, MemoryBuffer buffer)
    {
        _buffers[key] = buffer;
        return buffer;
    }
}
