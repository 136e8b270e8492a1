namespace SharpServe.Engine.KvCache;

/// <summary>
/// Unreferenced blocks that still hold a reusable prefix, least recently freed first. A node per
/// block id lets a cache hit pull a block back out in O(1).
/// </summary>
internal sealed class LruBlockList(int blockCount)
{
    private readonly LinkedList<int> _order = new();
    private readonly LinkedListNode<int>?[] _nodes = new LinkedListNode<int>?[blockCount]; // [block] node while evictable

    public int Count => _order.Count;

    public bool Contains(int block) => _nodes[block] is not null;

    /// <summary>Marks <paramref name="block"/> as the most recently used evictable block.</summary>
    public void Add(int block) => _nodes[block] = _order.AddLast(block);

    public void Remove(int block)
    {
        _order.Remove(_nodes[block]!);
        _nodes[block] = null;
    }

    /// <summary>Takes the least recently used block.</summary>
    public int RemoveOldest()
    {
        int block = _order.First!.Value;
        Remove(block);
        return block;
    }
}
