using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Models;

/// <summary>A sequence the runner is tracking: how many of its tokens are in the cache, and where.</summary>
public sealed class SequenceState
{
    /// <summary>A sequence whose blocks the runner takes from its own <see cref="KvCachePool"/> as it grows.</summary>
    public SequenceState()
    {
        Blocks = new BlockTable();
    }

    /// <summary>
    /// A sequence whose blocks a <see cref="KvBlockManager"/> owns: the runner only reads the table, which
    /// must already cover every position a step writes, and the first <paramref name="cachedTokens"/>
    /// positions (prefix-cache hits) are already in the cache.
    /// </summary>
    public SequenceState(BlockTable managedBlocks, int cachedTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cachedTokens);
        Blocks = managedBlocks;
        BlocksManaged = true;
        CachedTokens = cachedTokens;
    }

    public BlockTable Blocks { get; }

    /// <summary>Whether a <see cref="KvBlockManager"/> reserves and frees the blocks instead of the runner.</summary>
    public bool BlocksManaged { get; }

    /// <summary>Tokens whose K/V are already in the cache.</summary>
    public int CachedTokens { get; internal set; }
}
