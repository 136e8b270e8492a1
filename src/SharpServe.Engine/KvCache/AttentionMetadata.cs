namespace SharpServe.Engine.KvCache;

/// <summary>
/// The part of a flat token batch that belongs to one sequence: tokens
/// [<see cref="FirstToken"/>, <see cref="FirstToken"/> + <see cref="TokenCount"/>) of the batch sit at positions
/// [<see cref="StartPosition"/>, <see cref="StartPosition"/> + <see cref="TokenCount"/>) of the sequence and attend
/// causally to every earlier position, whose K/V live in the cache blocks listed by <see cref="BlockTable"/>
/// (only its first ceil(ContextLength / block_size) entries are meaningful).
/// </summary>
public readonly record struct SequenceSlice(int FirstToken, int TokenCount, int StartPosition, int[] BlockTable)
{
    /// <summary>Tokens in the cache once this step has written its own.</summary>
    public int ContextLength => StartPosition + TokenCount;
}

/// <summary>
/// Explicit per-call attention metadata (no hidden state): which sequence each token belongs to,
/// its position, and the cache slot its K/V are written to. Reused across steps (Clear, then
/// AddSequence per sequence) so the decode loop does not allocate.
/// </summary>
public sealed class AttentionMetadata(int blockSize)
{
    private SequenceSlice[] _sequences = new SequenceSlice[4];
    private int[] _positions = new int[16];
    private int[] _slots = new int[16];
    private int _sequenceCount;
    private int _tokenCount;

    public int BlockSize { get; } = blockSize;

    public ReadOnlySpan<SequenceSlice> Sequences => _sequences.AsSpan(0, _sequenceCount);

    /// <summary>[tokens] position of each batch token within its sequence.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, _tokenCount);

    /// <summary>[tokens] cache slot (block * block_size + offset) that receives each token's K/V.</summary>
    public ReadOnlySpan<int> Slots => _slots.AsSpan(0, _tokenCount);

    public int TokenCount => _tokenCount;

    public void Clear()
    {
        _sequenceCount = 0;
        _tokenCount = 0;
    }

    /// <summary>Appends the next <paramref name="tokenCount"/> batch tokens as positions starting at <paramref name="startPosition"/> of one sequence.</summary>
    public void AddSequence(int tokenCount, int startPosition, int[] blockTable)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenCount);
        ArgumentOutOfRangeException.ThrowIfNegative(startPosition);
        int blocksNeeded = (startPosition + tokenCount + BlockSize - 1) / BlockSize;
        if (blockTable.Length < blocksNeeded)
        {
            throw new ArgumentException($"block table has {blockTable.Length} blocks, {blocksNeeded} needed for {startPosition + tokenCount} tokens", nameof(blockTable));
        }

        Grow(ref _sequences, _sequenceCount + 1);
        Grow(ref _positions, _tokenCount + tokenCount);
        Grow(ref _slots, _tokenCount + tokenCount);
        _sequences[_sequenceCount++] = new SequenceSlice(_tokenCount, tokenCount, startPosition, blockTable);
        for (int j = 0; j < tokenCount; j++)
        {
            int position = startPosition + j;
            _positions[_tokenCount + j] = position;
            _slots[_tokenCount + j] = blockTable[position / BlockSize] * BlockSize + position % BlockSize;
        }

        _tokenCount += tokenCount;
    }

    private static void Grow<T>(ref T[] array, int needed)
    {
        if (array.Length < needed)
        {
            Array.Resize(ref array, Math.Max(needed, array.Length * 2));
        }
    }
}
