using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Tests.KvCache;

/// <summary>Forking a sequence's blocks for n &gt; 1 sampling: full blocks shared, the partial block copied.</summary>
public sealed class KvBlockManagerForkTests
{
    private static int[] TableOf(KvBlockManager manager, int sequenceId)
    {
        BlockTable table = manager.GetBlockTable(sequenceId);
        return table.Blocks[..table.Count];
    }

    private static KvBlockManager Prefilled(int blocks, int promptLength, bool prefixCaching = true)
    {
        var manager = new KvBlockManager(blocks, enablePrefixCaching: prefixCaching);
        int[] prompt = [.. Enumerable.Range(100, promptLength)];
        Assert.True(manager.Allocate(1, prompt).Succeeded);
        manager.CommitTokens(1, prompt);
        return manager;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PartialLastBlock_IsCopied_FullBlocksAreShared(bool prefixCaching)
    {
        KvBlockManager manager = Prefilled(blocks: 10, promptLength: 40, prefixCaching); // 2 full blocks + 8 tokens

        BlockFork fork = manager.Fork(1, 2);

        Assert.True(fork.Succeeded);
        int[] parent = TableOf(manager, 1);
        int[] child = TableOf(manager, 2);
        Assert.Equal(parent[..2], child[..2]);
        Assert.Equal((parent[2], child[2]), (fork.CopySource, fork.CopyDestination));
        Assert.NotEqual(parent[2], child[2]);
        Assert.Equal(10 - 4, manager.FreeBlockCount);

        // The shared blocks outlive the parent: only its partial block comes back when it is freed.
        manager.Free(1);
        Assert.Equal(10 - 3, manager.FreeBlockCount);
        manager.Free(2);
        Assert.Equal(10, manager.FreeBlockCount);
    }

    [Fact]
    public void PromptOfWholeBlocks_NeedsNoCopy()
    {
        KvBlockManager manager = Prefilled(blocks: 3, promptLength: 32);

        BlockFork fork = manager.Fork(1, 2);

        Assert.True(fork.Succeeded);
        Assert.False(fork.NeedsCopy);
        Assert.Equal(TableOf(manager, 1), TableOf(manager, 2));
        Assert.Equal(1, manager.FreeBlockCount);
    }

    [Fact]
    public void NoBlockForTheCopy_FailsAndTakesNothing()
    {
        KvBlockManager manager = Prefilled(blocks: 3, promptLength: 40);

        Assert.False(manager.Fork(1, 2).Succeeded);

        Assert.Equal(0, manager.FreeBlockCount);
        manager.Free(1);
        Assert.Equal(3, manager.FreeBlockCount);
        Assert.Throws<KeyNotFoundException>(() => manager.GetBlockTable(2));
    }

    [Fact]
    public void ForkedChild_FillsItsOwnBlocks_AndRegistersThemUnderItsOwnTokens()
    {
        KvBlockManager manager = Prefilled(blocks: 10, promptLength: 40);
        Assert.True(manager.Fork(1, 2).Succeeded);

        // Each finishes its third block with different tokens; a later prompt equal to the child's hits all three.
        manager.CommitTokens(1, [.. Enumerable.Repeat(7, 8)]);
        Assert.True(manager.TryReserve(2, 48));
        manager.CommitTokens(2, [.. Enumerable.Repeat(9, 8)]);
        int[] childPrompt = [.. Enumerable.Range(100, 40), .. Enumerable.Repeat(9, 8), 1];

        BlockAllocation allocation = manager.Allocate(3, childPrompt);

        Assert.Equal(48, allocation.CachedTokens);
        Assert.Equal(TableOf(manager, 2), TableOf(manager, 3)[..3]);
    }

    [Fact]
    public void ForkingOntoALiveSequence_Throws()
    {
        KvBlockManager manager = Prefilled(blocks: 10, promptLength: 20);
        Assert.Throws<InvalidOperationException>(() => manager.Fork(1, 1));
    }
}
