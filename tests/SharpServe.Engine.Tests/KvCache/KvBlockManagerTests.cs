using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Tests.KvCache;

public sealed class KvBlockManagerTests
{
    private static int[] Tokens(int count, int seed) => [.. Enumerable.Range(0, count).Select(i => seed * 100_000 + i)];

    private static int[] TableOf(KvBlockManager manager, int sequenceId)
    {
        BlockTable table = manager.GetBlockTable(sequenceId);
        return table.Blocks[..table.Count];
    }

    /// <summary>Allocates and, as the model runner would after the forward pass, commits the uncached rest of the prompt.</summary>
    private static int Prefill(KvBlockManager manager, int sequenceId, int[] prompt)
    {
        BlockAllocation allocation = manager.Allocate(sequenceId, prompt);
        Assert.True(allocation.Succeeded);
        manager.CommitTokens(sequenceId, prompt.AsSpan(allocation.CachedTokens));
        return allocation.CachedTokens;
    }

    [Fact]
    public void SharedThousandTokenPrefix_SecondSequenceSkipsOver90Percent()
    {
        var manager = new KvBlockManager(blockCount: 200);
        int[] prefix = Tokens(1000, seed: 1);
        int[] first = [.. prefix, .. Tokens(8, seed: 2)];
        int[] second = [.. prefix, .. Tokens(8, seed: 3)];

        Assert.Equal(0, Prefill(manager, 1, first));
        int cached = Prefill(manager, 2, second);

        Assert.Equal(992, cached); // 62 whole blocks of the 1000-token prefix
        Assert.True(cached >= 0.9 * second.Length);
        Assert.Equal(TableOf(manager, 1)[..62], TableOf(manager, 2)[..62]);
        Assert.NotEqual(TableOf(manager, 1)[62], TableOf(manager, 2)[62]);
        Assert.Equal(first.Length + second.Length, manager.PrefixQueries);
        Assert.Equal(992, manager.PrefixHits);
    }

    [Theory]
    [InlineData(64, 48)] // fully cached prompt: the last block is recomputed so its last token yields logits
    [InlineData(65, 64)]
    [InlineData(16, 0)]
    public void Hits_AreCappedBelowThePromptLength(int promptLength, int expectedCached)
    {
        var manager = new KvBlockManager(blockCount: 16);
        int[] prompt = Tokens(promptLength, seed: 1);
        Prefill(manager, 1, Tokens(80, seed: 1));

        Assert.Equal(expectedCached, manager.Allocate(2, prompt).CachedTokens);
    }

    [Fact]
    public void ForgedHashCollision_IsNotAHit()
    {
        var manager = new KvBlockManager(blockCount: 16, blockSize: 4, hasher: (_, _) => UInt128.One);
        Prefill(manager, 1, [1, 2, 3, 4, 9]);

        Assert.Equal(0, manager.Allocate(2, [5, 6, 7, 8, 9]).CachedTokens); // same hash, other tokens
        // Same tokens and hash in the second block, but after a different first block: still no hit.
        Assert.Equal(4, manager.Allocate(3, [1, 2, 3, 4, 1, 2, 3, 4, 9]).CachedTokens);
    }

    [Fact]
    public void SharedBlocks_SurviveOneOwnerFreeing()
    {
        var manager = new KvBlockManager(blockCount: 5, blockSize: 4);
        int[] prompt = Tokens(9, seed: 1);
        Prefill(manager, 1, prompt);
        Assert.Equal(8, Prefill(manager, 2, prompt));
        Assert.Equal(1, manager.FreeBlockCount); // 2 shared + 2 tails

        manager.Free(1);
        Assert.Equal(2, manager.FreeBlockCount); // only sequence 1's unfull tail came back

        Assert.True(manager.Allocate(3, Tokens(8, seed: 2)).Succeeded);
        Assert.Empty(TableOf(manager, 2).Intersect(TableOf(manager, 3)));
        Assert.False(manager.Allocate(4, [7]).Succeeded);
        Assert.Equal(100.0, manager.UsagePercent);
    }

    [Fact]
    public void FreedBlocks_AreHitUntilEvicted()
    {
        var manager = new KvBlockManager(blockCount: 4, blockSize: 4);
        int[] prompt = Tokens(9, seed: 1);
        Prefill(manager, 1, prompt);
        int[] blocks = TableOf(manager, 1);
        manager.Free(1);
        Assert.Equal(4, manager.FreeBlockCount);
        Assert.Equal(2, manager.EvictableBlockCount);

        Assert.Equal(8, Prefill(manager, 2, prompt));
        Assert.Equal(blocks[..2], TableOf(manager, 2)[..2]);
        manager.Free(2);

        Assert.True(manager.Allocate(3, Tokens(16, seed: 2)).Succeeded); // needs every block: evicts both
        manager.Free(3);
        Assert.Equal(0, manager.Allocate(4, prompt).CachedTokens);
    }

    [Fact]
    public void Eviction_TakesFreeBlocksFirst_ThenLeastRecentlyFreed()
    {
        var manager = new KvBlockManager(blockCount: 4, blockSize: 4);
        int[] a = Tokens(5, seed: 1);
        int[] b = Tokens(5, seed: 2);
        Prefill(manager, 1, a);
        Prefill(manager, 2, b);
        manager.Free(1);
        manager.Free(2);
        Assert.Equal(2, manager.EvictableBlockCount); // the two full first blocks; the tails were never registered

        Assert.True(manager.Allocate(3, Tokens(12, seed: 3)).Succeeded); // 2 free + the older cached block
        Assert.Equal(1, manager.EvictableBlockCount);
        manager.Free(3);

        Assert.Equal(0, manager.Allocate(4, a).CachedTokens);
        Assert.Equal(4, manager.Allocate(5, b).CachedTokens);
    }

    [Fact]
    public void AHit_MakesABlockRecentlyUsedAgain()
    {
        var manager = new KvBlockManager(blockCount: 3, blockSize: 4);
        int[] a = Tokens(5, seed: 1);
        int[] b = Tokens(5, seed: 2);
        Prefill(manager, 1, a);
        manager.Free(1);
        Prefill(manager, 2, b);
        manager.Free(2);
        Assert.Equal(4, Prefill(manager, 3, a)); // a's block, freed first, is now the newest
        manager.Free(3);

        Assert.True(manager.Allocate(4, Tokens(8, seed: 3)).Succeeded); // the free block, then evicts b's block, not a's
        manager.Free(4);
        Assert.Equal(4, manager.Allocate(5, a).CachedTokens);
    }

    [Fact]
    public void GeneratedTokens_BecomeHitsOnceTheirBlockFills()
    {
        var manager = new KvBlockManager(blockCount: 8, blockSize: 4);
        int[] prompt = [1, 2, 3];
        int[] generated = [4, 5, 6, 7, 8];
        Prefill(manager, 1, prompt);
        for (int i = 0; i < generated.Length; i++)
        {
            Assert.True(manager.TryReserve(1, prompt.Length + i + 1));
            manager.CommitTokens(1, generated.AsSpan(i, 1));
        }

        Assert.Equal(8, manager.Allocate(2, [.. prompt, .. generated, 9]).CachedTokens);
    }

    [Fact]
    public void Failures_TakeNothing()
    {
        var manager = new KvBlockManager(blockCount: 3, blockSize: 4);
        Assert.False(manager.CanAllocate(13));
        Assert.False(manager.Allocate(1, Tokens(13, seed: 1)).Succeeded);
        Assert.Equal(3, manager.FreeBlockCount);
        Assert.Throws<KeyNotFoundException>(() => manager.GetBlockTable(1));

        Assert.True(manager.Allocate(2, Tokens(4, seed: 1)).Succeeded);
        Assert.False(manager.TryReserve(2, 13));
        Assert.Equal(2, manager.FreeBlockCount);
        Assert.Single(TableOf(manager, 2));
    }

    [Fact]
    public void EvictableHits_CannotAlsoPayForNewBlocks()
    {
        var manager = new KvBlockManager(blockCount: 2, blockSize: 4);
        int[] prompt = Tokens(5, seed: 1);
        Prefill(manager, 1, prompt);
        manager.Free(1);
        Assert.True(manager.Allocate(2, [42]).Succeeded); // takes the free tail block

        // One block left, and it is the cached hit itself: the tail has nowhere to go.
        Assert.False(manager.Allocate(3, prompt).Succeeded);
        Assert.Equal(1, manager.EvictableBlockCount);
    }

    [Fact]
    public void CachingOff_AllocatesPlainly()
    {
        var manager = new KvBlockManager(blockCount: 8, blockSize: 4, enablePrefixCaching: false);
        int[] prompt = Tokens(9, seed: 1);
        Assert.Equal(0, Prefill(manager, 1, prompt));
        Assert.Equal(0, Prefill(manager, 2, prompt));

        Assert.Equal([0, 1, 2], TableOf(manager, 1));
        Assert.Equal([3, 4, 5], TableOf(manager, 2));
        Assert.Equal(0, manager.PrefixQueries);
        manager.Free(1);
        manager.Free(2);
        Assert.Equal(0, manager.EvictableBlockCount);
        Assert.Equal(8, manager.FreeBlockCount);
        Assert.Equal(0, manager.Allocate(3, prompt).CachedTokens);
    }

    [Fact]
    public void DefaultHasher_ChainsOnTheParent()
    {
        int[] block = [1, 2, 3, 4];
        UInt128 first = Sha256BlockHasher.Hash(UInt128.Zero, block);
        Assert.NotEqual(first, Sha256BlockHasher.Hash(first, block));
        Assert.NotEqual(first, Sha256BlockHasher.Hash(UInt128.Zero, [1, 2, 3, 5]));
        Assert.Equal(first, Sha256BlockHasher.Hash(UInt128.Zero, [1, 2, 3, 4]));
    }
}
