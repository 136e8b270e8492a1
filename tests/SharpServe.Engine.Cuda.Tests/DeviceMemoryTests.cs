using SharpServe.Engine.Creation;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Cuda.Tests;

/// <summary>A KV pool on the device gives its memory back when it is disposed (the engine disposes its pool on shutdown).</summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class DeviceMemoryTests(SimulatedDevice device)
{
    [Fact]
    public void DisposingAPool_FreesEveryDeviceLayer()
    {
        using var backend = new CudaBackend(device.Accelerator, ownsAccelerator: false);
        var pool = new KvCachePool(ModelPresets.Tiny, blocks: 4, blockSize: 16, KvCacheDType.BFloat16, backend);
        var layers = pool.Layers.Cast<DeviceKvLayer>().ToArray();
        Assert.Equal(ModelPresets.Tiny.NumHiddenLayers, layers.Length);
        Assert.DoesNotContain(layers, layer => layer.Keys.IsDisposed || layer.Values.IsDisposed);

        pool.Dispose();

        Assert.All(layers, layer => Assert.True(layer.Keys.IsDisposed && layer.Values.IsDisposed));
    }
}
