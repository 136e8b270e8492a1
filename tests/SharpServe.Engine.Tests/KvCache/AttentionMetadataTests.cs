using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Tests.KvCache;

public sealed class AttentionMetadataTests
{
    [Fact]
    public void Slots_FollowEachSequencesBlockTable()
    {
        var metadata = new AttentionMetadata(blockSize: 4);
        metadata.AddSequence(tokenCount: 3, startPosition: 2, blockTable: [7, 1]);   // positions 2, 3, 4
        metadata.AddSequence(tokenCount: 1, startPosition: 9, blockTable: [0, 5, 3]); // position 9

        Assert.Equal([2, 3, 4, 9], metadata.Positions.ToArray());
        Assert.Equal([7 * 4 + 2, 7 * 4 + 3, 1 * 4 + 0, 3 * 4 + 1], metadata.Slots.ToArray());
        Assert.Equal(2, metadata.Sequences.Length);
        Assert.Equal(new SequenceSlice(3, 1, 9, metadata.Sequences[1].BlockTable), metadata.Sequences[1]);
        Assert.Equal(10, metadata.Sequences[1].ContextLength);
    }

    [Fact]
    public void Clear_StartsANewBatch()
    {
        var metadata = new AttentionMetadata(blockSize: 16);
        metadata.AddSequence(5, 0, [0]);
        metadata.Clear();
        metadata.AddSequence(1, 5, [2]);
        Assert.Equal(1, metadata.TokenCount);
        Assert.Equal([2 * 16 + 5], metadata.Slots.ToArray());
        Assert.Equal(0, metadata.Sequences[0].FirstToken);
    }

    [Fact]
    public void ABlockTableTooShortForTheContext_IsRefused()
    {
        var metadata = new AttentionMetadata(blockSize: 16);
        Assert.Throws<ArgumentException>(() => metadata.AddSequence(2, 15, [0]));
    }
}
