using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class StoreKvKernelTests(SimulatedDevice device)
{
    public static TheoryData<KvCacheDType> Types => [KvCacheDType.Float32, KvCacheDType.Float16, KvCacheDType.BFloat16];

    [Theory]
    [MemberData(nameof(Types))]
    public void WritesTheSameBytesAsTheCpuBackend(KvCacheDType dtype)
    {
        const int KvDim = 40;
        const int BlockSize = 4;
        var metadata = new AttentionMetadata(BlockSize);
        metadata.AddSequence(tokenCount: 5, startPosition: 2, blockTable: [3, 0]);
        metadata.AddSequence(tokenCount: 1, startPosition: 6, blockTable: [5, 1]);
        var k = TestData.Floats(6 * KvDim, 14, 100f);
        var v = TestData.Floats(6 * KvDim, 15, 1e-4f);
        // Values that round differently under a careless conversion: ties, overflow to infinity, NaN, subnormals.
        k[0] = 1f + MathF.Pow(2, -8);
        k[1] = 70000f;
        k[2] = float.NaN;
        k[3] = -1e-7f;
        k[4] = float.NegativeInfinity;
        var cpuCache = new KvLayerCache(8 * BlockSize, KvDim, dtype);
        using var cpu = new CpuBackend(1);
        cpu.StoreKv(k, v, metadata, cpuCache);

        var arrays = AttentionArrays.From(metadata);
        using var dk = device.Upload(k);
        using var dv = device.Upload(v);
        using var slots = device.Upload(arrays.Slots.ToArray());
        using var keys = device.Upload(new byte[cpuCache.Keys.Length]);
        using var values = device.Upload(new byte[cpuCache.Keys.Length]);
        device.Kernels.StoreKv(device.Stream, dk.View, dv.View, slots.View, CacheType(dtype), keys.View, values.View, KvDim);

        Assert.Equal(cpuCache.Keys, device.Download(keys));
        // The device keeps V slot-major like K; the CPU cache keeps it in tiles of 16 slots, so compare row by row.
        var cpuValues = new byte[cpuCache.Keys.Length];
        for (int slot = 0; slot < cpuCache.Slots; slot++)
        {
            cpuCache.ReadValueRow(slot, cpuValues.AsSpan(slot * cpuCache.SlotBytes, cpuCache.SlotBytes));
        }

        Assert.Equal(cpuValues, device.Download(values));
    }

    internal static TensorDType CacheType(KvCacheDType dtype) => dtype switch
    {
        KvCacheDType.Float16 => TensorDType.F16,
        KvCacheDType.BFloat16 => TensorDType.BF16,
        _ => TensorDType.F32,
    };
}
