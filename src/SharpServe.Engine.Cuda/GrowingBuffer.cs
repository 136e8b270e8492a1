using ILGPU;
using ILGPU.Runtime;

namespace SharpServe.Engine.Cuda;

/// <summary>Device scratch that only grows (to the largest step seen), so steady-state steps allocate nothing.</summary>
internal sealed class GrowingBuffer<T>(Accelerator accelerator) : IDisposable
    where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    /// <summary>The first <paramref name="length"/> elements, growing the buffer (contents lost) when it is too small.</summary>
    public ArrayView<T> View(int length)
    {
        if (_buffer is null || _buffer.Length < length)
        {
            _buffer?.Dispose();
            _buffer = accelerator.Allocate1D<T>(Math.Max(Math.Max(length, 1), (_buffer?.Length ?? 0) * 2));
        }

        return _buffer.View.SubView(0, length);
    }

    /// <summary>Copies <paramref name="values"/> to the front of the buffer on <paramref name="stream"/> and returns that range.</summary>
    public ArrayView<T> Upload(AcceleratorStream stream, ReadOnlySpan<T> values)
    {
        var view = View(values.Length);
        if (values.Length > 0)
        {
            view.CopyFromCPU(stream, values);
        }

        return view;
    }

    public void Dispose() => _buffer?.Dispose();
}
