using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace SharpServe.Engine.Kernels.Threading;

/// <summary>
/// Dedicated threads that split one kernel at a time into parts. The calling thread runs parts too,
/// and parts are claimed dynamically, so a worker that is slow to wake only means the caller does more.
/// Idle workers spin for a short while (decode dispatches come microseconds apart) and then block,
/// so an idle engine does not burn its cores. Not thread-safe: one caller at a time.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>Most parts one <see cref="Run"/> may have (20 bits of the state word).</summary>
    public const int MaxParts = (1 << IndexBits) - 1;

    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private const int GenerationShift = 2 * IndexBits;
    private const long GenerationMask = (1L << (64 - GenerationShift - 1)) - 1;

    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000; // 100 µs

    private readonly Worker[] _workers;
    private Counters _counters;
    private IParallelWork? _work;
    private Exception? _failure;
    private volatile bool _stopping;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Worker[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            var worker = new Worker(new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"SharpServe kernel worker {index}" });
            _workers[i] = worker;
            worker.Thread.Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs <c>work.Execute(p, worker)</c> for every p in [0, <paramref name="parts"/>) and returns when all are done.</summary>
    public void Run(IParallelWork work, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, MaxParts);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (parts <= 1 || _workers.Length == 0)
        {
            for (int p = 0; p < parts; p++)
            {
                work.Execute(p, 0);
            }

            return;
        }

        _work = work;
        Volatile.Write(ref _counters.Pending, parts);
        long generation = ((Volatile.Read(ref _counters.State) >> GenerationShift) + 1) & GenerationMask;

        // A full fence (not just a release store): the read of each worker's Sleeping flag below must
        // not move before this publish, or a worker going to sleep at this moment could miss it.
        Interlocked.Exchange(ref _counters.State, (generation << GenerationShift) | ((long)parts << IndexBits));
        foreach (var worker in _workers)
        {
            Wake(worker);
        }

        RunParts(0);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _counters.Pending) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _work = null;
        if (_failure is { } failure)
        {
            _failure = null;
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        foreach (var worker in _workers)
        {
            Wake(worker);
            worker.Thread.Join();
            worker.Signal.Dispose();
        }
    }

    private static void Wake(Worker worker)
    {
        if (Volatile.Read(ref worker.Sleeping) == 1 && Interlocked.Exchange(ref worker.Sleeping, 0) == 1)
        {
            worker.Signal.Release();
        }
    }

    private bool HasWork()
    {
        long state = Volatile.Read(ref _counters.State);
        return (state & IndexMask) < ((state >> IndexBits) & IndexMask);
    }

    /// <summary>Claims and runs parts of the current generation until none is left.</summary>
    private void RunParts(int worker)
    {
        while (true)
        {
            long state = Volatile.Read(ref _counters.State);
            int next = (int)(state & IndexMask);
            if (next >= (int)((state >> IndexBits) & IndexMask))
            {
                return;
            }

            // The generation bits make a stale CAS from an earlier run fail even if next/parts repeat.
            if (Interlocked.CompareExchange(ref _counters.State, state + 1, state) != state)
            {
                continue;
            }

            try
            {
                _work!.Execute(next, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }

            Interlocked.Decrement(ref _counters.Pending);
        }
    }

    private void WorkerLoop(int index)
    {
        var self = _workers[index - 1];
        while (true)
        {
            long spinStart = Stopwatch.GetTimestamp();
            while (!HasWork() && !_stopping)
            {
                if (Stopwatch.GetTimestamp() - spinStart < SpinTicks)
                {
                    Thread.SpinWait(4);
                    continue;
                }

                Sleep(self);
                spinStart = Stopwatch.GetTimestamp();
            }

            if (_stopping)
            {
                return;
            }

            RunParts(index);
        }
    }

    private void Sleep(Worker self)
    {
        Interlocked.Exchange(ref self.Sleeping, 1);
        if ((HasWork() || _stopping) && Interlocked.Exchange(ref self.Sleeping, 0) == 1)
        {
            return;
        }

        // Either nothing to do, or a caller already cleared Sleeping and will release (or has released) the signal.
        self.Signal.Wait();
    }

    /// <summary>The two hot shared words, each on its own cache line.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Counters
    {
        /// <summary>[generation | parts | next part to claim], updated atomically as one word.</summary>
        [FieldOffset(64)]
        public long State;

        /// <summary>Parts not yet finished in the current generation.</summary>
        [FieldOffset(128)]
        public int Pending;
    }

    private sealed class Worker(Thread thread)
    {
        public readonly Thread Thread = thread;
        public readonly SemaphoreSlim Signal = new(0);
        public int Sleeping;
    }
}
