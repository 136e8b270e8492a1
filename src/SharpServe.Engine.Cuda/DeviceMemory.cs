using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Cuda;

/// <summary>Activations in device memory.</summary>
internal sealed class DeviceActivations(Accelerator accelerator, int length) : ActivationBuffer
{
    public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; } = Zeroed<float>(accelerator, length);

    public override int Length => (int)Buffer.Length;

    public override void Dispose() => Buffer.Dispose();

    internal static MemoryBuffer1D<T, Stride1D.Dense> Zeroed<T>(Accelerator accelerator, long length)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(Math.Max(length, 1));
        buffer.MemSetToZero();
        return buffer;
    }
}

/// <summary>One layer's K and V in device memory, as raw bytes of the cache's element type.</summary>
internal sealed class DeviceKvLayer : KvLayer
{
    public DeviceKvLayer(Accelerator accelerator, int slots, int kvDim, KvCacheDType dtype)
        : base(slots, kvDim, dtype)
    {
        Keys = DeviceActivations.Zeroed<byte>(accelerator, (long)slots * SlotBytes);
        Values = DeviceActivations.Zeroed<byte>(accelerator, (long)slots * SlotBytes);
    }

    public MemoryBuffer1D<byte, Stride1D.Dense> Keys { get; }

    public MemoryBuffer1D<byte, Stride1D.Dense> Values { get; }

    /// <summary>Device memory is backed when it is allocated.</summary>
    public override void Prefault()
    {
    }

    public override void CopySlots(int sourceSlot, int destinationSlot, int count)
    {
        long bytes = (long)count * SlotBytes;
        foreach (var buffer in new[] { Keys, Values })
        {
            buffer.View.SubView((long)sourceSlot * SlotBytes, bytes).CopyTo(buffer.View.SubView((long)destinationSlot * SlotBytes, bytes));
        }
    }

    public override void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}
