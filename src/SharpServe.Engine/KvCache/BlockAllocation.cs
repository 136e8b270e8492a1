namespace SharpServe.Engine.KvCache;

/// <summary>
/// Outcome of <see cref="KvBlockManager.Allocate"/>: either the blocks were taken and the first
/// <see cref="CachedTokens"/> prompt tokens already have their K/V in the cache (the caller starts
/// computing at that position), or the pool was too small and nothing was taken.
/// </summary>
public readonly record struct BlockAllocation(bool Succeeded, int CachedTokens)
{
    public static BlockAllocation Failed => new(false, 0);
}
