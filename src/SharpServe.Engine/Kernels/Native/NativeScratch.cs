using System.Runtime.InteropServices;

namespace SharpServe.Engine.Kernels.Native;

/// <summary>
/// Growable kernel scratch in 64-byte-aligned native memory. Growing (a longer context, a bigger batch)
/// reallocates natively, so even then no managed object is created: the decode loop stays allocation-free.
/// Contents are not kept across a growth.
/// </summary>
internal sealed unsafe class NativeScratch : IDisposable
{
    private void* _pointer;
    private long _bytes;

    /// <summary>Pointer to at least <paramref name="bytes"/> bytes (grows by at least doubling).</summary>
    public void* Ensure(long bytes)
    {
        if (bytes > _bytes)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            long size = Math.Max(bytes, _bytes * 2);
            _pointer = NativeMemory.AlignedAlloc((nuint)size, 64);
            _bytes = size;
        }

        return _pointer;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
        _bytes = 0;
    }
}
