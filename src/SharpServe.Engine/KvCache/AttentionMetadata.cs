namespace SharpServe.Engine.KvCache;

/// <summary>
/// The part of a flat token batch that belongs to one sequence: tokens
/// [<see cref="FirstToken"/>, <see cref="FirstToken"/> + <see cref="TokenCount"/>) of the batch sit at positions
/// [<see cref="StartPosition"/>, <see cref="StartPosition"/> + <see cref="TokenCount"/>) of the sequence and attend
/// causally to every earlier position, whose K/V live in the cache blocks listed by <see cref="BlockTable"/>.
/// </summary>
public sealed record SequenceSlice(int FirstToken, int TokenCount, int StartPosition, int[] BlockTable)
{
    /// <summary>Tokens in the cache once this step has written its own.</summary>
    public int ContextLength => StartPosition + TokenCount;
}

/// <summary>
/// Explicit per-call attention metadata (no hidden state): which sequence each token belongs to,
/// its position, and the cache slot its K/V are written to.
/// </summary>
public sealed class AttentionMetadata
{
    public AttentionMetadata(IReadOnlyList<SequenceSlice> sequences, int blockSize)
    {
        Sequences = sequences;
        BlockSize = blockSize;
        int tokens = sequences.Count == 0 ? 0 : sequences.Max(s => s.FirstToken + s.TokenCount);
        Positions = new int[tokens];
        Slots = new int[tokens];
        foreach (var s in sequences)
        {
            for (int j = 0; j < s.TokenCount; j++)
            {
                int position = s.StartPosition + j;
                Positions[s.FirstToken + j] = position;
                Slots[s.FirstToken + j] = s.BlockTable[position / blockSize] * blockSize + position % blockSize;
            }
        }
    }

    public IReadOnlyList<SequenceSlice> Sequences { get; }
    public int BlockSize { get; }

    /// <summary>[tokens] position of each batch token within its sequence.</summary>
    public int[] Positions { get; }

    /// <summary>[tokens] cache slot (block * block_size + offset) that receives each token's K/V.</summary>
    public int[] Slots { get; }

    public int TokenCount => Positions.Length;
}
