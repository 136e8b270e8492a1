namespace SharpServe.Engine.KvCache;

/// <summary>
/// Hands out cache blocks to sequences and, with prefix caching, shares full blocks whose K/V another
/// sequence already computed (nano-vllm / vLLM v1 style). Every block is in exactly one state:
/// free (no K/V worth keeping), referenced by ≥ 1 sequence, or evictable (unreferenced but still
/// registered, so a later prompt can hit it). New blocks come from the free blocks first, then from the
/// least recently used evictable block, whose registration is dropped.
/// Block ids index the slots of a <see cref="KvCachePool"/> of the same size; this class replaces the
/// pool's own free list for sequences it manages. Not thread-safe: the scheduler owns it.
/// </summary>
public sealed class KvBlockManager
{
    /// <summary>Chain parent hash of a sequence's first block.</summary>
    private static readonly UInt128 RootHash = UInt128.Zero;

    private readonly BlockHasher _hasher;
    private readonly Stack<int> _free;
    private readonly LruBlockList _evictable;
    private readonly PrefixBlockIndex _index;
    private readonly int[] _referenceCounts; // [block] sequences whose table holds the block
    private readonly Dictionary<int, SequenceBlocks> _sequences = [];

    public KvBlockManager(int blockCount, int blockSize = KvCachePool.DefaultBlockSize, bool enablePrefixCaching = true, BlockHasher? hasher = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        BlockCount = blockCount;
        BlockSize = blockSize;
        PrefixCachingEnabled = enablePrefixCaching;
        _hasher = hasher ?? Sha256BlockHasher.Hash;
        // Low block ids first, as KvCachePool does: block tables stay readable in logs and tests.
        _free = new Stack<int>(Enumerable.Range(0, blockCount).Reverse());
        _evictable = new LruBlockList(blockCount);
        _index = new PrefixBlockIndex(blockCount, blockSize);
        _referenceCounts = new int[blockCount];
    }

    public int BlockCount { get; }
    public int BlockSize { get; }
    public bool PrefixCachingEnabled { get; }

    /// <summary>Blocks a new allocation can take: truly free plus evictable.</summary>
    public int FreeBlockCount => _free.Count + _evictable.Count;

    /// <summary>Unreferenced blocks still holding a reusable prefix (a subset of <see cref="FreeBlockCount"/>).</summary>
    public int EvictableBlockCount => _evictable.Count;

    /// <summary>Percentage of blocks referenced by some sequence.</summary>
    public double UsagePercent => 100.0 * (BlockCount - FreeBlockCount) / BlockCount;

    /// <summary>Prompt tokens looked up in the prefix cache (vllm:prefix_cache_queries), counted once per successful allocation.</summary>
    public long PrefixQueries { get; private set; }

    /// <summary>Of <see cref="PrefixQueries"/>, tokens found cached (vllm:prefix_cache_hits).</summary>
    public long PrefixHits { get; private set; }

    /// <summary>Whether a sequence of <paramref name="tokens"/> fits even with no prefix hit.</summary>
    public bool CanAllocate(int tokens) => BlocksFor(tokens) <= FreeBlockCount;

    /// <summary>
    /// Gives <paramref name="sequenceId"/> blocks for its whole prompt, reusing cached full blocks of
    /// its prefix. At most len − 1 tokens are reported cached, rounded down to whole blocks, so the
    /// last prompt token is always computed and yields logits.
    /// </summary>
    public BlockAllocation Allocate(int sequenceId, IReadOnlyList<int> promptTokens)
    {
        ArgumentOutOfRangeException.ThrowIfZero(promptTokens.Count);
        if (_sequences.ContainsKey(sequenceId))
        {
            throw new InvalidOperationException($"sequence {sequenceId} already has blocks");
        }

        int[] tokens = [.. promptTokens];
        List<int> hits = FindCachedPrefix(tokens, out UInt128 lastHitHash);
        // A hit on an evictable block pulls it out of the evictable set, so it cannot also pay for a new block.
        int evictableHits = hits.Count(_evictable.Contains);
        int newBlocks = BlocksFor(tokens.Length) - hits.Count;
        if (newBlocks > FreeBlockCount - evictableHits)
        {
            return BlockAllocation.Failed;
        }

        int cachedTokens = hits.Count * BlockSize;
        var sequence = new SequenceBlocks(BlockSize, cachedTokens, lastHitHash);
        foreach (int block in hits)
        {
            Retain(block);
            sequence.Table.Append(block);
        }

        for (int i = 0; i < newBlocks; i++)
        {
            sequence.Table.Append(TakeBlock());
        }

        _sequences.Add(sequenceId, sequence);
        if (PrefixCachingEnabled)
        {
            PrefixQueries += tokens.Length;
            PrefixHits += cachedTokens;
        }

        return new BlockAllocation(true, cachedTokens);
    }

    /// <summary>Grows the sequence's table until <paramref name="totalTokens"/> positions fit (decode growth); false, taking nothing, if the pool runs out.</summary>
    public bool TryReserve(int sequenceId, int totalTokens)
    {
        BlockTable table = _sequences[sequenceId].Table;
        int needed = BlocksFor(totalTokens) - table.Count;
        if (needed > FreeBlockCount)
        {
            return false;
        }

        for (int i = 0; i < needed; i++)
        {
            table.Append(TakeBlock());
        }

        return true;
    }

    /// <summary>
    /// Records that the K/V of <paramref name="tokens"/> (the sequence's next positions, prompt or
    /// generated) are now written. Each block this fills is registered for prefix hits.
    /// </summary>
    public void CommitTokens(int sequenceId, ReadOnlySpan<int> tokens)
    {
        SequenceBlocks sequence = _sequences[sequenceId];
        if (sequence.CommittedTokens + tokens.Length > sequence.Table.Count * BlockSize)
        {
            throw new InvalidOperationException($"sequence {sequenceId} has {sequence.Table.Count} blocks, too few for {sequence.CommittedTokens + tokens.Length} tokens");
        }

        foreach (int token in tokens)
        {
            sequence.OpenBlockTokens[sequence.CommittedTokens % BlockSize] = token;
            sequence.CommittedTokens++;
            if (PrefixCachingEnabled && sequence.CommittedTokens % BlockSize == 0)
            {
                RegisterFullBlock(sequence);
            }
        }
    }

    /// <summary>
    /// Gives <paramref name="childId"/> the K/V <paramref name="parentId"/> has committed so far (n &gt; 1
    /// sampling forks after the prompt): full blocks are shared by reference, and a partly filled last block,
    /// which both will keep writing, gets a fresh block of the child's own that the caller must fill with a
    /// copy of the parent's. False, taking nothing, when the pool has no block for that copy.
    /// </summary>
    public BlockFork Fork(int parentId, int childId)
    {
        SequenceBlocks parent = _sequences[parentId];
        if (_sequences.ContainsKey(childId))
        {
            throw new InvalidOperationException($"sequence {childId} already has blocks");
        }

        int fullBlocks = parent.CommittedTokens / BlockSize;
        bool partial = parent.CommittedTokens % BlockSize != 0;
        if (partial && FreeBlockCount == 0)
        {
            return BlockFork.Failed;
        }

        var child = new SequenceBlocks(BlockSize, parent.CommittedTokens, parent.LastFullBlockHash);
        parent.OpenBlockTokens.CopyTo(child.OpenBlockTokens, 0);
        int[] blocks = parent.Table.Blocks;
        for (int i = 0; i < fullBlocks; i++)
        {
            Retain(blocks[i]);
            child.Table.Append(blocks[i]);
        }

        _sequences.Add(childId, child);
        if (!partial)
        {
            return new BlockFork(true, CopySource: -1, CopyDestination: -1);
        }

        int copy = TakeBlock();
        child.Table.Append(copy);
        return new BlockFork(true, blocks[fullBlocks], copy);
    }

    /// <summary>Drops the sequence's references; blocks no one else holds become evictable (cached) or free.</summary>
    public void Free(int sequenceId)
    {
        if (!_sequences.Remove(sequenceId, out SequenceBlocks? sequence))
        {
            return;
        }

        // Last block first: a prompt's tail is the least likely part to be shared, so it is evicted first.
        int[] blocks = sequence.Table.Blocks;
        for (int i = sequence.Table.Count - 1; i >= 0; i--)
        {
            Release(blocks[i]);
        }

        sequence.Table.Clear();
    }

    /// <summary>The sequence's blocks in position order, as <see cref="AttentionMetadata.AddSequence"/> takes them.</summary>
    public BlockTable GetBlockTable(int sequenceId) => _sequences[sequenceId].Table;

    private int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Verified cached blocks of the prompt's prefix, stopping at the first miss and leaving the last token uncached.</summary>
    private List<int> FindCachedPrefix(int[] tokens, out UInt128 lastHitHash)
    {
        List<int> hits = [];
        lastHitHash = RootHash;
        if (!PrefixCachingEnabled)
        {
            return hits;
        }

        long parentEntry = PrefixBlockIndex.Root;
        int maxHitBlocks = (tokens.Length - 1) / BlockSize;
        for (int i = 0; i < maxHitBlocks; i++)
        {
            ReadOnlySpan<int> blockTokens = tokens.AsSpan(i * BlockSize, BlockSize);
            UInt128 hash = _hasher(lastHitHash, blockTokens);
            if (!_index.TryFind(hash, parentEntry, blockTokens, out int block))
            {
                break;
            }

            hits.Add(block);
            lastHitHash = hash;
            parentEntry = _index.EntryOf(block);
        }

        return hits;
    }

    private void RegisterFullBlock(SequenceBlocks sequence)
    {
        int blockIndex = sequence.CommittedTokens / BlockSize - 1;
        UInt128 parentHash = sequence.LastFullBlockHash;
        long parentEntry = blockIndex == 0 ? PrefixBlockIndex.Root : _index.EntryOf(parentHash);
        UInt128 hash = _hasher(parentHash, sequence.OpenBlockTokens);
        _index.Register(sequence.Table.Blocks[blockIndex], hash, parentEntry, sequence.OpenBlockTokens);
        sequence.LastFullBlockHash = hash;
    }

    private int TakeBlock()
    {
        if (!_free.TryPop(out int block))
        {
            block = _evictable.RemoveOldest();
            _index.Unregister(block);
        }

        _referenceCounts[block] = 1;
        return block;
    }

    private void Retain(int block)
    {
        if (_referenceCounts[block]++ == 0)
        {
            _evictable.Remove(block);
        }
    }

    private void Release(int block)
    {
        if (--_referenceCounts[block] > 0)
        {
            return;
        }

        if (_index.IsRegistered(block))
        {
            _evictable.Add(block);
        }
        else
        {
            _free.Push(block);
        }
    }
}
