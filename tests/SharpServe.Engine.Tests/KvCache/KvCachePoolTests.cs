using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.KvCache;

/// <summary>The pool's storage per dtype, <see cref="KvCachePool.CopyBlock"/> (the fork of a partly filled last block) and <see cref="KvCachePool.Prefault"/>.</summary>
public sealed class KvCachePoolTests
{
    private const int Blocks = 6;
    private const int BlockSize = 4;

    [Theory]
    [InlineData(KvCacheDType.Float32, 4)]
    [InlineData(KvCacheDType.Float16, 2)]
    [InlineData(KvCacheDType.BFloat16, 2)]
    public void Storage_HoldsEverySlotInTheDTypesElementSize(KvCacheDType dtype, int elementBytes)
    {
        var config = TestModels.OddShape;
        var pool = new KvCachePool(config, Blocks, BlockSize, dtype);

        Assert.Equal(dtype, pool.DType);
        Assert.Equal(config.NumHiddenLayers, pool.Layers.Count);
        Assert.All(pool.Layers, layer =>
        {
            Assert.Equal(dtype, layer.DType);
            Assert.Equal((long)Blocks * BlockSize * config.KvDim * elementBytes, Host(layer).Keys.LongLength);
            // V in whole tiles of 16 slots: 24 slots take two tiles.
            Assert.Equal(32L * config.KvDim * elementBytes, Host(layer).Values.LongLength);
        });
        Assert.Equal(2L * config.NumHiddenLayers * config.KvDim * elementBytes, KvCachePool.BytesPerToken(config, dtype));
    }

    /// <summary>Blocks of 4 copy V slot by slot within its tiles; blocks of 16 are whole tiles and copy as one range.</summary>
    [Theory]
    [InlineData(KvCacheDType.Float32, 4)]
    [InlineData(KvCacheDType.Float16, 4)]
    [InlineData(KvCacheDType.Float32, 16)]
    [InlineData(KvCacheDType.BFloat16, 16)]
    public void CopyBlock_CopiesKAndVOfEverySlotInEveryLayer_AndNothingElse(KvCacheDType dtype, int blockSize)
    {
        var pool = new KvCachePool(TestModels.OddShape, Blocks, blockSize, dtype);
        var random = new Random(5);
        foreach (var layer in pool.Layers)
        {
            random.NextBytes(Host(layer).Keys);
            random.NextBytes(Host(layer).Values);
        }

        var before = pool.Layers.Select(layer => (Keys: Host(layer).Keys.ToArray(), Values: ValueRows(Host(layer)))).ToArray();

        pool.CopyBlock(source: 4, destination: 1);

        int blockBytes = blockSize * pool.Layers[0].SlotBytes;
        for (int l = 0; l < pool.Layers.Count; l++)
        {
            var values = ValueRows(Host(pool.Layers[l]));
            for (int block = 0; block < Blocks; block++)
            {
                int from = block == 1 ? 4 : block;
                Assert.Equal(before[l].Keys[(from * blockBytes)..((from + 1) * blockBytes)], Host(pool.Layers[l]).Keys[(block * blockBytes)..((block + 1) * blockBytes)]);
                Assert.Equal(before[l].Values[(from * blockBytes)..((from + 1) * blockBytes)], values[(block * blockBytes)..((block + 1) * blockBytes)]);
            }
        }
    }

    /// <summary>Prefault writes each page's byte back as it was: whatever the pool holds survives it (0 and every other value).</summary>
    [Fact]
    public void Prefault_KeepsEveryByte()
    {
        var pool = new KvCachePool(TestModels.OddShape, 3000, BlockSize);   // several 4 KiB pages per layer
        var random = new Random(9);
        foreach (var layer in pool.Layers)
        {
            random.NextBytes(Host(layer).Keys);
            random.NextBytes(Host(layer).Values);
        }

        var before = pool.Layers.Select(layer => (Keys: Host(layer).Keys.ToArray(), Values: Host(layer).Values.ToArray())).ToArray();

        pool.Prefault();

        for (int l = 0; l < pool.Layers.Count; l++)
        {
            Assert.True(before[l].Keys.Length > 3 * 4096, "the pool should span several pages");
            Assert.Equal(before[l].Keys, Host(pool.Layers[l]).Keys);
            Assert.Equal(before[l].Values, Host(pool.Layers[l]).Values);
        }
    }

    [Fact]
    public void CopyBlock_RejectsBlocksOutsideThePool()
    {
        var pool = new KvCachePool(TestModels.OddShape, Blocks, BlockSize);

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.CopyBlock(Blocks, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.CopyBlock(0, -1));
    }

    /// <summary>The pool's layers without a backend are host arrays.</summary>
    private static KvLayerCache Host(KvLayer layer) => Assert.IsType<KvLayerCache>(layer);

    /// <summary>Every slot's V row in slot order ([slots, kv_dim] encoded elements).</summary>
    private static byte[] ValueRows(KvLayerCache layer)
    {
        var rows = new byte[layer.Slots * layer.SlotBytes];
        for (int slot = 0; slot < layer.Slots; slot++)
        {
            layer.ReadValueRow(slot, rows.AsSpan(slot * layer.SlotBytes, layer.SlotBytes));
        }

        return rows;
    }
}
