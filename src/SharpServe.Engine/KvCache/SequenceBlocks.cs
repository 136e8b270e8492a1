namespace SharpServe.Engine.KvCache;

/// <summary>
/// What <see cref="KvBlockManager"/> tracks per sequence: its blocks, how many of its tokens have K/V
/// in the cache, and enough of the hash chain to register the next block once it fills.
/// </summary>
internal sealed class SequenceBlocks(int blockSize, int cachedTokens, UInt128 lastFullBlockHash)
{
    public BlockTable Table { get; } = new();

    /// <summary>Tokens whose K/V are in the cache (prefix hits plus committed tokens).</summary>
    public int CommittedTokens { get; set; } = cachedTokens;

    /// <summary>Chain parent for the next block to fill.</summary>
    public UInt128 LastFullBlockHash { get; set; } = lastFullBlockHash;

    /// <summary>[block_size] token ids committed into the last, partly filled block (first CommittedTokens % block_size are valid).</summary>
    public int[] OpenBlockTokens { get; } = new int[blockSize];
}
