using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// <see cref="AttentionMetadata"/> flattened into the int arrays the kernels read: per token its position, its cache slot
/// and where its sequence's block table starts in <see cref="BlockTables"/> (all tables end to end). These are the only
/// per-step uploads besides the token ids.
/// </summary>
internal sealed record AttentionArrays(int[] Positions, int[] Slots, int[] TokenTables, int[] BlockTables)
{
    public static AttentionArrays From(AttentionMetadata metadata)
    {
        var sequences = metadata.Sequences;
        var tokenTables = new int[metadata.TokenCount];
        var blockTables = new List<int>();
        foreach (var sequence in sequences)
        {
            int blocks = (sequence.ContextLength + metadata.BlockSize - 1) / metadata.BlockSize;
            tokenTables.AsSpan(sequence.FirstToken, sequence.TokenCount).Fill(blockTables.Count);
            blockTables.AddRange(sequence.BlockTable.AsSpan(0, blocks));
        }

        return new AttentionArrays(metadata.Positions.ToArray(), metadata.Slots.ToArray(), tokenTables, [.. blockTables]);
    }
}
