using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// A bound model's device weights in one allocation laid out by <see cref="WeightArenaLayout"/>: uploaded by this process
/// (<see cref="Upload"/>), or another process's arena opened through CUDA IPC. Views of it are what the kernels read.
/// </summary>
public sealed class WeightArena : IDisposable
{
    internal WeightArena(MemoryBuffer buffer, WeightArenaLayout layout)
    {
        if (buffer.LengthInBytes < layout.TotalBytes)
        {
            throw new ArgumentException($"the arena's buffer holds {buffer.LengthInBytes} bytes, the layout needs {layout.TotalBytes}", nameof(buffer));
        }

        Buffer = buffer;
        Layout = layout;
    }

    public WeightArenaLayout Layout { get; }

    /// <summary>The allocation: its NativePtr is what an IPC handle is taken of.</summary>
    internal MemoryBuffer Buffer { get; }

    /// <summary>Allocates <paramref name="layout"/>'s bytes on <paramref name="accelerator"/> and copies every weight to its offset.</summary>
    public static WeightArena Upload(Accelerator accelerator, WeightArenaLayout layout)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(layout);
        var buffer = accelerator.Allocate1D<byte>(layout.TotalBytes);
        try
        {
            var arena = new WeightArena(buffer, layout);
            foreach (var entry in layout.Entries.Where(e => e.Bytes > 0))
            {
                arena.Bytes(entry).CopyFromCPU(layout.HostBytes(entry));
            }

            return arena;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>A matrix's stored bytes.</summary>
    internal ArrayView<byte> Matrix(WeightTensor weight) => Bytes(Layout.Find(weight));

    /// <summary>A norm's or bias's f32 values.</summary>
    internal ArrayView<float> Vector(float[] values) => Bytes(Layout.Find(values)).Cast<float>();

    /// <summary>The entry's bytes, as <see cref="Matrix"/> sees them; what a holder or importer reads back to compare.</summary>
    internal ArrayView<byte> Bytes(WeightArenaEntry entry) => Buffer.AsRawArrayView(entry.Offset, entry.Bytes);

    public void Dispose() => Buffer.Dispose();
}
