using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace SharpServe.Engine.Kernels.Native;

/// <summary>
/// A read-only memory map of a whole file. Slices are handed out as <see cref="ReadOnlyMemory{T}"/>
/// that point straight into the mapping, so weights are used in place and shared through the page
/// cache by every process that maps the same file. On Linux with transparent huge pages the file is mapped in
/// 2 MiB pages (<see cref="HugePages"/>). Pointers stay inside this class.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly bool _hugePages;   // mapped by HugePages.MapFile, unmapped by HugePages.Free
    private bool _disposed;

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr, bool hugePages)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _base = basePtr;
        _hugePages = hugePages;
    }

    public string Path { get; }
    public long Length { get; }

    public static MappedFile Open(string path)
    {
        // The length of the opened file, not FileInfo's: that is a symlink's own length, and the hub cache's snapshots are symlinks.
        long length;
        using (var handle = File.OpenHandle(path))
        {
            length = RandomAccess.GetLength(handle);
            byte* huge = length > 0 && HugePages.Available() ? HugePages.MapFile(handle, length) : null;
            if (huge != null)
            {
                return new MappedFile(path, length, null, null, huge, hugePages: true);
            }
        }

        if (length == 0)
        {
            return new MappedFile(path, 0, null, null, null, hugePages: false);
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        ptr += view.PointerOffset;
        return new MappedFile(path, length, map, view, ptr, hugePages: false);
    }

    /// <summary>A view of bytes [offset, offset + length); the caller has checked the range.</summary>
    public ReadOnlyMemory<byte> Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, +{length}) outside {Path} ({Length} bytes)");
        }

        if (length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"a single tensor of {length} bytes is larger than 2 GiB");
        }

        return length == 0 ? ReadOnlyMemory<byte>.Empty : new Region(_base + offset, (int)length).Memory;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_hugePages)
        {
            HugePages.Free(_base, Length);
        }

        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
    }

    /// <summary>Memory over unmanaged bytes owned by the mapping (no pinning needed).</summary>
    private sealed class Region(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
