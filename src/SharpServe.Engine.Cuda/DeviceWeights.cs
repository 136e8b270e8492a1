using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda;

/// <summary>
/// The device copy of each weight, uploaded the first time a kernel needs it and kept for the backend's life: matrices
/// in their stored bytes, norms and biases as f32. Keyed by the host object, which the bound model holds for its life.
/// With a <see cref="WeightArena"/> attached (before the first use), every view comes from the arena instead: one
/// allocation holding them all, this process's own or another's shared through CUDA IPC.
/// </summary>
internal sealed class DeviceWeights(Accelerator accelerator) : IDisposable
{
    private readonly Dictionary<object, MemoryBuffer> _buffers = new(ReferenceEqualityComparer.Instance);
    private WeightArena? _arena;

    /// <summary>Takes <paramref name="arena"/> (and its disposal) as the source of every weight from now on.</summary>
    public void Attach(WeightArena arena)
    {
        ArgumentNullException.ThrowIfNull(arena);
        if (_arena is not null || _buffers.Count > 0)
        {
            throw new InvalidOperationException(_arena is not null
                ? "a weight arena is already attached"
                : "weights were already uploaded one by one: attach the arena before the first forward pass");
        }

        _arena = arena;
    }

    public ArrayView<byte> Matrix(WeightTensor weight)
    {
        if (_arena is not null)
        {
            return _arena.Matrix(weight);
        }

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
        if (_arena is not null)
        {
            return _arena.Vector(values);
        }

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
        _arena?.Dispose();
        _arena = null;
    }

    private MemoryBuffer Keep(object key, MemoryBuffer buffer)
    {
        _buffers[key] = buffer;
        return buffer;
    }
}
