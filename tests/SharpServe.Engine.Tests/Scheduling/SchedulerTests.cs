using SharpServe.Engine.KvCache;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>The scheduler's decisions alone: the model's work is simulated by advancing computed tokens.</summary>
public sealed class SchedulerTests
{
    [Fact]
    public void RunningGoFirst_PromptsAreChunkedUnderTheBudget_ThenDecodeOneTokenEach()
    {
        var blocks = new KvBlockManager(32, blockSize: 4);
        var scheduler = new Scheduler(new SchedulerConfig(maxNumBatchedTokens: 8, maxNumSeqs: 4, maxModelLen: 64, maxQueue: 4), blocks);
        var a = new Sequence(1, Prompt(10, 0), maxTokens: 4);
        var b = new Sequence(2, Prompt(5, 100), maxTokens: 4);
        scheduler.Add(a);
        scheduler.Add(b);

        Assert.Equal([new ScheduledChunk(a, 0, 8)], Execute(scheduler, blocks));
        Assert.Equal([new ScheduledChunk(a, 8, 2), new ScheduledChunk(b, 0, 5)], Execute(scheduler, blocks));
        Assert.Equal([new ScheduledChunk(a, 10, 1), new ScheduledChunk(b, 5, 1)], Execute(scheduler, blocks));
        Assert.Equal((2, 2), (a.OutputIds.Count, b.OutputIds.Count));
    }

    [Fact]
    public void MaxNumSeqs_KeepsLaterRequestsWaiting()
    {
        var blocks = new KvBlockManager(32, blockSize: 4);
        var scheduler = new Scheduler(new SchedulerConfig(64, maxNumSeqs: 1, maxModelLen: 64, maxQueue: 4), blocks);
        var a = new Sequence(1, Prompt(3, 0), maxTokens: 4);
        var b = new Sequence(2, Prompt(3, 10), maxTokens: 4);
        scheduler.Add(a);
        scheduler.Add(b);

        Assert.Equal([new ScheduledChunk(a, 0, 3)], Execute(scheduler, blocks));
        Assert.Equal((1, 1), (scheduler.RunningCount, scheduler.WaitingCount));
        scheduler.Remove(a);
        Assert.Equal([new ScheduledChunk(b, 0, 3)], Execute(scheduler, blocks));
    }

    [Fact]
    public void FullPool_PreemptsTheNewestByRecomputation_KeepingItsOutput()
    {
        var blocks = new KvBlockManager(4, blockSize: 4);
        var scheduler = new Scheduler(new SchedulerConfig(64, maxNumSeqs: 4, maxModelLen: 16, maxQueue: 4), blocks);
        var a = new Sequence(1, Prompt(7, 0), maxTokens: 8);
        var b = new Sequence(2, Prompt(7, 50), maxTokens: 8);
        scheduler.Add(a);
        scheduler.Add(b);
        Execute(scheduler, blocks); // both prompts: 2 blocks each, the pool is full; each now has 1 output token
        Execute(scheduler, blocks); // position 7 still fits the second block

        // Position 8 needs a third block for a: b, the newest, gives its blocks back and waits at the front.
        Assert.Equal([new ScheduledChunk(a, 8, 1)], Execute(scheduler, blocks));
        Assert.Equal(1, scheduler.Preemptions);
        Assert.Equal((1, 1), (scheduler.RunningCount, scheduler.WaitingCount));
        Assert.Equal(0, b.ComputedTokens);
        Assert.Equal(2, b.OutputIds.Count);
        Assert.Equal(1, blocks.FreeBlockCount);

        scheduler.Remove(a);
        List<ScheduledChunk> resumed = Execute(scheduler, blocks);
        // b recomputes prompt + output, minus whatever full blocks it still finds in the prefix cache.
        Assert.Equal(b, Assert.Single(resumed).Sequence);
        Assert.Equal(9, resumed[0].Start + resumed[0].Count);
    }

    [Fact]
    public void TooLongRequest_IsRejectedBeforeTakingBlocks()
    {
        var blocks = new KvBlockManager(8, blockSize: 4);
        var scheduler = new Scheduler(new SchedulerConfig(64, maxNumSeqs: 4, maxModelLen: 48, maxQueue: 4), blocks);

        Assert.Throws<RequestTooLongException>(() => scheduler.Add(new Sequence(1, Prompt(40, 0), maxTokens: 9)));
        Assert.Throws<RequestTooLongException>(() => scheduler.Add(new Sequence(2, Prompt(48, 0), maxTokens: null)));
        // Within the model length but beyond the whole 32-token cache: it could never finish.
        Assert.Throws<RequestTooLongException>(() => scheduler.Add(new Sequence(3, Prompt(30, 0), maxTokens: 4)));
        Assert.Equal(8, blocks.FreeBlockCount);
        Assert.False(scheduler.HasWork);
    }

    private static int[] Prompt(int length, int first) => [.. Enumerable.Range(first, length)];

    /// <summary>Schedules one step and plays the model: K/V written, then one output token per completed sequence.</summary>
    private static List<ScheduledChunk> Execute(Scheduler scheduler, KvBlockManager blocks)
    {
        List<ScheduledChunk> chunks = scheduler.Schedule();
        foreach (ScheduledChunk chunk in chunks)
        {
            chunk.Sequence.State!.CachedTokens += chunk.Count;
            blocks.CommitTokens(chunk.Sequence.Id, chunk.Sequence.Tokens(chunk.Start, chunk.Count));
            if (chunk.CompletesSequence)
            {
                chunk.Sequence.OutputIds.Add(1000 + chunk.Sequence.OutputIds.Count);
            }
        }

        return chunks;
    }
}
