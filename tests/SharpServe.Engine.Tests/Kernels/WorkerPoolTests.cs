using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Tests.Kernels;

public sealed class WorkerPoolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RunsEveryPartExactlyOnce(int threads)
    {
        using var pool = new WorkerPool(threads);
        var work = new CountingWork(threads);
        for (int round = 0; round < 2000; round++)
        {
            int parts = (round % 37) + 1;
            work.Reset(parts);
            pool.Run(work, parts);
            Assert.All(work.Counts.Take(parts), c => Assert.Equal(1, c));
            Assert.True(work.BadWorker == 0, "worker index out of range");
        }
    }

    [Fact]
    public void WakesSleepingWorkers()
    {
        using var pool = new WorkerPool(2);
        var work = new CountingWork(2);
        for (int round = 0; round < 5; round++)
        {
            Thread.Sleep(20); // longer than the spin phase: the worker blocks and must be woken
            work.Reset(64);
            pool.Run(work, 64);
            Assert.All(work.Counts.Take(64), c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void RethrowsAPartsExceptionAndStaysUsable()
    {
        using var pool = new WorkerPool(2);
        var failing = new FailingWork();
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, 8));
        Assert.Equal("part 5", error.Message);

        var work = new CountingWork(2);
        work.Reset(8);
        pool.Run(work, 8);
        Assert.All(work.Counts.Take(8), c => Assert.Equal(1, c));
    }

    private sealed class CountingWork(int threads) : IParallelWork
    {
        public int[] Counts { get; } = new int[64];

        public int BadWorker;

        public void Reset(int parts) => Array.Clear(Counts, 0, parts);

        public void Execute(int part, int worker)
        {
            Interlocked.Increment(ref Counts[part]);
            if (worker < 0 || worker >= threads)
            {
                Interlocked.Increment(ref BadWorker);
            }
        }
    }

    private sealed class FailingWork : IParallelWork
    {
        public void Execute(int part, int worker)
        {
            if (part == 5)
            {
                throw new InvalidOperationException("part 5");
            }
        }
    }
}
