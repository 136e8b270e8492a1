namespace SharpServe.Engine.KvCache;

/// <summary>
/// Which block holds the K/V of which chained block hash. A hit is verified, not trusted: the block's
/// stored token ids must equal the prompt's, and the block must have been registered as the child of
/// the very entry the previous hit found, so a collision anywhere in the chain cannot splice in K/V
/// computed over a different prefix. A block keeps its entry while referenced or evictable; the entry
/// goes only when the block is reused for something else.
/// </summary>
internal sealed class PrefixBlockIndex(int blockCount, int blockSize)
{
    /// <summary>Parent of a sequence's first block.</summary>
    public const long Root = 0;

    /// <summary>Parent entry no longer (or never) registered: such a child can never be hit.</summary>
    public const long Missing = -1;

    private readonly Dictionary<UInt128, int> _blockByHash = [];
    private readonly UInt128[] _hashByBlock = new UInt128[blockCount];    // [block] hash while registered
    private readonly long[] _entryByBlock = new long[blockCount];          // [block] unique id of its current entry, 0 when none
    private readonly long[] _parentEntryByBlock = new long[blockCount];    // [block] entry id of the block before it in its prefix
    private readonly int[][] _tokensByBlock = new int[blockCount][];       // [block][block_size] token ids, allocated on first registration
    private long _lastEntry;

    public bool IsRegistered(int block) => _entryByBlock[block] != 0;

    public long EntryOf(int block) => _entryByBlock[block];

    /// <summary>Entry id registered under <paramref name="hash"/>, or <see cref="Missing"/>.</summary>
    public long EntryOf(UInt128 hash) => _blockByHash.TryGetValue(hash, out int block) ? _entryByBlock[block] : Missing;

    /// <summary>The block holding <paramref name="blockTokens"/> right after entry <paramref name="parentEntry"/>; a hash match failing either check is a collision, not a hit.</summary>
    public bool TryFind(UInt128 hash, long parentEntry, ReadOnlySpan<int> blockTokens, out int block) =>
        _blockByHash.TryGetValue(hash, out block)
        && _parentEntryByBlock[block] == parentEntry
        && blockTokens.SequenceEqual(_tokensByBlock[block]);

    /// <summary>Records that <paramref name="block"/> holds <paramref name="blockTokens"/>; an existing entry for the same hash wins (the first copy stays the shared one).</summary>
    public void Register(int block, UInt128 hash, long parentEntry, ReadOnlySpan<int> blockTokens)
    {
        if (IsRegistered(block) || !_blockByHash.TryAdd(hash, block))
        {
            return;
        }

        _hashByBlock[block] = hash;
        _entryByBlock[block] = ++_lastEntry;
        _parentEntryByBlock[block] = parentEntry;
        _tokensByBlock[block] ??= new int[blockSize];
        blockTokens.CopyTo(_tokensByBlock[block]);
    }

    /// <summary>Drops <paramref name="block"/>'s entry because its K/V are about to be overwritten; children registered under it become unreachable.</summary>
    public void Unregister(int block)
    {
        if (IsRegistered(block))
        {
            _blockByHash.Remove(_hashByBlock[block]);
            _entryByBlock[block] = 0;
        }
    }
}
