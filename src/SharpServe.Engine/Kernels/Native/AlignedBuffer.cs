using System.Buffers;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Kernels.Native;

/// <summary>
/// Native memory aligned to a cache line, outside the GC heap so its address never moves: kernels keep
/// raw pointers to it across worker threads, and 64-byte alignment keeps each vector load in one line.
/// Also exposed as <see cref="Memory{T}"/> so benchmarks and tests can build weights without unsafe code.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private const int Alignment = 64;
    private byte* _pointer;

    public AlignedBuffer(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Length = bytes;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), Alignment);
        NativeMemory.Clear(_pointer, (nuint)bytes);
    }

    public long Length { get; }

    internal byte* Pointer => _pointer;

    /// <summary>Pointer to at least <paramref name="bytes"/> bytes, replacing <paramref name="buffer"/> by a larger one when needed (contents are not kept).</summary>
    internal static byte* Ensure(ref AlignedBuffer? buffer, long bytes)
    {
        if (buffer is null || buffer.Length < bytes)
        {
            long grown = Math.Max(bytes, buffer is null ? 0 : buffer.Length * 2);
            ((IDisposable?)buffer)?.Dispose();
            buffer = new AlignedBuffer(grown);
        }

        return buffer._pointer;
    }

    public override Span<byte> GetSpan() => Length <= int.MaxValue
        ? new Span<byte>(_pointer, (int)Length)
        : throw new InvalidOperationException($"a {Length}-byte buffer does not fit one span");

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
