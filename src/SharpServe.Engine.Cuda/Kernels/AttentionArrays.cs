using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// <see cref="AttentionMetadata"/> flattened into the int arrays the kernels read: per token its position, its cache slot
/// and where its sequence's block table starts in <see cref="BlockTables"/> (all tables end to end). These are the only
/// per-step uploads besides the token ids. The arrays only grow, so steady-state steps allocate nothing.
/// </summary>
internal sealed class AttentionArrays
{
    private AttentionMetadata _metadata = new(1);
    private int[] _tokenTables = [];
    private int[] _blockTables = [];
    private int _blockCount;

    public ReadOnlySpan<int> Positions => _metadata.Positions;

    public ReadOnlySpan<int> Slots => _metadata.Slots;

    /// <summary>[tokens]: where the token's sequence's block table starts in <see cref="BlockTables"/>.</summary>
    public ReadOnlySpan<int> TokenTables => _tokenTables.AsSpan(0, _metadata.TokenCount);

    /// <summary>[Σ blocks]: every sequence's blocks up to its context length, end to end.</summary>
    public ReadOnlySpan<int> BlockTables => _blockTables.AsSpan(0, _blockCount);

    public static AttentionArrays From(AttentionMetadata metadata) => new AttentionArrays().Fill(metadata);

    /// <summary>Flattens <paramref name="metadata"/> (read until the next call) into this object's arrays.</summary>
    public AttentionArrays Fill(AttentionMetadata metadata)
    {
        _metadata = metadata;
        Grow(ref _tokenTables, metadata.TokenCount);
        _blockCount = 0;
        foreach (var sequence in metadata.Sequences)
        {
            int blocks = (sequence.ContextLength + metadata.BlockSize - 1) / metadata.BlockSize;
            _tokenTables.AsSpan(sequence.FirstToken, sequence.TokenCount).Fill(_blockCount);
            Grow(ref _blockTables, _blockCount + blocks);
            sequence.BlockTable.AsSpan(0, blocks).CopyTo(_blockTables.AsSpan(_blockCount));
            _blockCount += blocks;
        }

        return this;
    }

    private static void Grow(ref int[] array, int needed)
    {
        if (array.Length < needed)
        {
            Array.Resize(ref array, Math.Max(needed, array.Length * 2));
        }
    }
}
