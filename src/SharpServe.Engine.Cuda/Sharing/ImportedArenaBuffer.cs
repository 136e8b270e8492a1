using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Cuda.Native;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// Another process's weight arena, opened in this process's context through its CUDA IPC handle, as an ILGPU buffer so
/// kernels take views of it like any other. ILGPU cannot wrap a raw device pointer itself, but its MemoryBuffer has a
/// protected constructor and NativePtr setter and its copy and memset members are overridable: views over this buffer
/// launch with NativePtr + offset like a CudaMemoryBuffer's. The arena is every instance's weights, so it is read-only
/// here: copies out use ILGPU's own CUDA copy, writes are refused. Disposing closes the mapping (the holder frees the memory).
/// </summary>
internal sealed class ImportedArenaBuffer : MemoryBuffer
{
    private ImportedArenaBuffer(CudaAccelerator accelerator, IntPtr pointer, long bytes)
        : base(accelerator, bytes, elementSize: 1)
    {
        NativePtr = pointer;
    }

    /// <summary>Opens <paramref name="handle"/> (an allocation of <paramref name="bytes"/> bytes) in <paramref name="accelerator"/>'s context.</summary>
    public static ImportedArenaBuffer Open(CudaAccelerator accelerator, IpcMemHandle handle, long bytes)
    {
        using var binding = accelerator.BindScoped();
        return new ImportedArenaBuffer(accelerator, CudaIpcApi.OpenMemHandle(handle), bytes);
    }

    protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
        throw ReadOnly();

    protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        throw ReadOnly();

    protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        CudaMemoryBuffer.CudaCopy(stream as CudaStream ?? throw new ArgumentException("a CUDA stream is needed", nameof(stream)), sourceView, targetView);

    protected override void DisposeAcceleratorObject(bool disposing)
    {
        // From a finalizer the context may already be gone: the driver drops a process's mappings when it exits anyway.
        if (!disposing || NativePtr == IntPtr.Zero)
        {
            return;
        }

        using (Accelerator.BindScoped())
        {
            CudaIpcApi.CloseMemHandle(NativePtr);
        }

        NativePtr = IntPtr.Zero;
    }

    private static InvalidOperationException ReadOnly() =>
        new("the shared weights are read-only in an instance: every instance on the card reads them, and the fleet process holds them");
}
