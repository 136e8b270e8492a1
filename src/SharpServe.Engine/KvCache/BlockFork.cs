namespace SharpServe.Engine.KvCache;

/// <summary>
/// Outcome of <see cref="KvBlockManager.Fork"/>: whether the child got its blocks and, when the parent's
/// last block was partly filled, which block's K/V the caller must copy (<see cref="CopySource"/>) into
/// the child's own (<see cref="CopyDestination"/>); both are −1 when there is nothing to copy.
/// </summary>
public readonly record struct BlockFork(bool Succeeded, int CopySource, int CopyDestination)
{
    public static BlockFork Failed => new(false, -1, -1);

    public bool NeedsCopy => CopySource >= 0;
}
