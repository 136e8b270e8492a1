namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Runs a round of work at a fixed rate on the injected clock until disposed: the health prober and the history
/// sampler each own one, so both stop the same way and a test's fake clock drives both. A round that outlasts the
/// interval is followed by the next one at once (missed ticks are not queued up).
/// </summary>
internal sealed class BackgroundLoop(Func<CancellationToken, Task> round, TimeSpan interval, TimeProvider time, bool firstRoundAtOnce) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping is the only way out of the loop.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        if (firstRoundAtOnce)
        {
            await round(stop);
        }

        while (await timer.WaitForNextTickAsync(stop))
        {
            await round(stop);
        }
    }
}
