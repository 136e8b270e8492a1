namespace SharpServe.Engine.KvCache;

/// <summary>
/// The cache blocks one sequence owns, in position order: position p lives in block
/// Blocks[p / block_size] at offset p % block_size. The array grows by doubling so steady-state
/// decoding does not allocate.
/// </summary>
public sealed class BlockTable
{
    private int[] _blocks = new int[4];

    public int Count { get; private set; }

    /// <summary>The backing array; entries past <see cref="Count"/> are unused.</summary>
    public int[] Blocks => _blocks;

    /// <summary>Takes blocks from <paramref name="pool"/> until <paramref name="tokens"/> positions fit; false (and nothing taken) if the pool runs out.</summary>
    public bool TryReserve(KvCachePool pool, int tokens)
    {
        int needed = (tokens + pool.BlockSize - 1) / pool.BlockSize - Count;
        if (needed <= 0)
        {
            return true;
        }

        if (pool.FreeBlocks < needed)
        {
            return false;
        }

        if (_blocks.Length < Count + needed)
        {
            Array.Resize(ref _blocks, Math.Max(Count + needed, _blocks.Length * 2));
        }

        for (int i = 0; i < needed; i++)
        {
            pool.TryAllocate(out _blocks[Count++]);
        }

        return true;
    }

    /// <summary>Appends one block chosen by a <see cref="KvBlockManager"/>, which owns the reference counting.</summary>
    internal void Append(int block)
    {
        if (_blocks.Length == Count)
        {
            Array.Resize(ref _blocks, _blocks.Length * 2);
        }

        _blocks[Count++] = block;
    }

    /// <summary>Forgets every block without returning any: the <see cref="KvBlockManager"/> has already released them.</summary>
    internal void Clear() => Count = 0;

    /// <summary>Returns every block to the pool.</summary>
    public void Release(KvCachePool pool)
    {
        for (int i = 0; i < Count; i++)
        {
            pool.Free(_blocks[i]);
        }

        Count = 0;
    }
}
