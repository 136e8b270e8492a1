namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>The results of one run, in prompt order, and its wall time from the first send to the last answer.</summary>
public sealed record ServeRun(IReadOnlyList<ServeRequestResult> Results, TimeSpan Duration);

/// <summary>
/// An open loop, as vLLM's benchmark: the first request is sent at once and request i + 1 gap i seconds after request i, whether or not
/// earlier ones have finished; with a concurrency limit it then waits for a free slot, so arrivals queue on
/// the client side and the server never sees more than that many requests at once.
/// </summary>
public static class ServeBenchDriver
{
    public static async Task<ServeRun> RunAsync(
        IReadOnlyList<BenchPrompt> prompts,
        IReadOnlyList<double> gapsS,
        int? maxConcurrency,
        Func<BenchPrompt, CancellationToken, Task<ServeRequestResult>> send,
        Action? onFinished,
        TimeProvider time,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(gapsS);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(time);
        if (gapsS.Count != prompts.Count)
        {
            throw new ArgumentException("one arrival gap per prompt is needed", nameof(gapsS));
        }

        using var slots = new SemaphoreSlim(maxConcurrency ?? prompts.Count + 1);
        var tasks = new Task<ServeRequestResult>[prompts.Count];
        long start = time.GetTimestamp();
        double due = 0;
        for (int i = 0; i < prompts.Count; i++)
        {
            // Due times are absolute, so the time spent starting earlier requests does not stretch the schedule.
            TimeSpan wait = TimeSpan.FromSeconds(due) - time.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellation).ConfigureAwait(false);
            }

            tasks[i] = SendInSlotAsync(prompts[i]);
            due += gapsS[i];
        }

        ServeRequestResult[] results = await Task.WhenAll(tasks).ConfigureAwait(false);
        return new ServeRun(results, time.GetElapsedTime(start));

        async Task<ServeRequestResult> SendInSlotAsync(BenchPrompt prompt)
        {
            await slots.WaitAsync(cancellation).ConfigureAwait(false);
            try
            {
                return await send(prompt, cancellation).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
                onFinished?.Invoke();
            }
        }
    }
}
