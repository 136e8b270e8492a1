using System.Buffers;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Kernels.Native;

/// <summary>
/// Native memory aligned to a cache line, exposed as <see cref="Memory{T}"/>: benchmarks build
/// weights in it without unsafe code, laid out like a memory-mapped model file (aligned, outside the GC heap, in huge pages
/// where <see cref="MappedFile"/> maps files in them).
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    private const int Alignment = 64;
    private byte* _pointer;
    private readonly bool _inHugePages;   // _pointer came from HugePages.Allocate

    public AlignedBuffer(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Length = bytes;
        _pointer = bytes >= HugePages.Size && HugePages.Available() ? HugePages.Allocate(bytes) : null;
        _inHugePages = _pointer != null;
        if (!_inHugePages)
        {
            _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), Alignment);
        }

        NativeMemory.Clear(_pointer, (nuint)bytes);
    }

    public long Length { get; }

    public override Span<byte> GetSpan() => Length <= int.MaxValue
        ? new Span<byte>(_pointer, (int)Length)
        : throw new InvalidOperationException($"a {Length}-byte buffer does not fit one span");

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer == null)
        {
            return;
        }

        if (_inHugePages)
        {
            HugePages.Free(_pointer, Length);
        }
        else
        {
            NativeMemory.AlignedFree(_pointer);
        }

        _pointer = null;
    }
}
