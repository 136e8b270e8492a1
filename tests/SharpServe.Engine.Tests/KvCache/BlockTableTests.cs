using SharpServe.Engine.Creation;
using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Tests.KvCache;

public sealed class BlockTableTests
{
    private static KvCachePool Pool(int blocks) => new(ModelPresets.Tiny, blocks);

    [Fact]
    public void Reserve_TakesOneBlockPer16Tokens_AndReleaseReturnsThem()
    {
        var pool = Pool(4);
        var table = new BlockTable();
        Assert.True(table.TryReserve(pool, 1));
        Assert.Equal(1, table.Count);
        Assert.True(table.TryReserve(pool, 16));
        Assert.Equal(1, table.Count);
        Assert.True(table.TryReserve(pool, 17));
        Assert.Equal(2, table.Count);
        Assert.Equal(2, pool.FreeBlocks);

        table.Release(pool);
        Assert.Equal(0, table.Count);
        Assert.Equal(4, pool.FreeBlocks);
    }

    [Fact]
    public void Reserve_BeyondThePool_FailsAndTakesNothing()
    {
        var pool = Pool(3);
        var table = new BlockTable();
        Assert.True(table.TryReserve(pool, 20));
        Assert.False(table.TryReserve(pool, 16 * 4));
        Assert.Equal(2, table.Count);
        Assert.Equal(1, pool.FreeBlocks);
    }

    [Fact]
    public void TwoSequences_NeverShareABlock()
    {
        var pool = Pool(8);
        var a = new BlockTable();
        var b = new BlockTable();
        Assert.True(a.TryReserve(pool, 40));
        Assert.True(b.TryReserve(pool, 40));
        Assert.Empty(a.Blocks[..a.Count].Intersect(b.Blocks[..b.Count]));
    }

    [Fact]
    public void Pool_RejectsFreeingABlockItDoesNotHave()
    {
        var pool = Pool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Free(2));
    }
}
