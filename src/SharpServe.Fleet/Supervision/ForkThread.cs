using System.Collections.Concurrent;
using System.Diagnostics;

namespace SharpServe.Fleet.Supervision;

/// <summary>
/// The one thread that starts every child. Linux's PR_SET_PDEATHSIG fires when the *thread* that forked
/// the child exits, not the process, and .NET forks on the thread that calls Process.Start: a child
/// started from a thread-pool thread would be SIGKILLed whenever the pool retires that thread. This
/// thread lives as long as the supervisor, so children die with the supervisor and only then.
/// Dispose it only after every child has exited.
/// </summary>
internal sealed class ForkThread : IDisposable
{
    private readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> _work = new();
    private readonly Thread _thread;

    public ForkThread()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "fleet-fork" };
        _thread.Start();
    }

    /// <summary>Calls <see cref="Process.Start()"/> on this thread; its exception, if any, comes back through the task.</summary>
    public Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add((process, started));
        return started.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        _work.Dispose();
    }

    private void Run()
    {
        foreach (var (process, started) in _work.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
