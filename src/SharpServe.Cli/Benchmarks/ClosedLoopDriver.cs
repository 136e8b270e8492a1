using System.Diagnostics;

namespace SharpServe.Cli.Benchmarks;

/// <summary>The requests of one run and how long the whole run took.</summary>
public sealed record DriverRun(IReadOnlyList<RequestRecord> Requests, TimeSpan Duration);

/// <summary>
/// A closed loop: <c>concurrency</c> workers each send a request, wait for its last token and send the
/// next, so exactly that many requests are in flight until the prompts run out. Every timestamp is taken
/// here, on the consumer's side, so all targets are timed the same way.
/// </summary>
public static class ClosedLoopDriver
{
    public static async Task<DriverRun> RunAsync(IGenerationTarget target, IReadOnlyList<int[]> prompts, int concurrency, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        var records = new RequestRecord[prompts.Count];
        int taken = -1;
        long start = Stopwatch.GetTimestamp();

        async Task Worker()
        {
            for (int i = Interlocked.Increment(ref taken); i < prompts.Count; i = Interlocked.Increment(ref taken))
            {
                records[i] = await MeasureAsync(target, prompts[i], maxTokens).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, prompts.Count)).Select(_ => Task.Run(Worker))).ConfigureAwait(false);
        return new DriverRun(records, Stopwatch.GetElapsedTime(start));
    }

    private static async Task<RequestRecord> MeasureAsync(IGenerationTarget target, int[] prompt, int maxTokens)
    {
        long sent = Stopwatch.GetTimestamp();
        long previous = 0;
        double ttft = double.NaN;
        var gaps = new List<double>(maxTokens);
        int tokens = 0;
        await foreach (int count in target.Generate(prompt, maxTokens).ConfigureAwait(false))
        {
            if (count == 0)
            {
                continue; // an event without tokens (a held-back stop-string check, say) is no token latency
            }

            long now = Stopwatch.GetTimestamp();
            if (tokens == 0)
            {
                ttft = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
            }
            else
            {
                gaps.Add(Stopwatch.GetElapsedTime(previous, now).TotalMilliseconds);
            }

            previous = now;
            tokens += count;
        }

        return new RequestRecord(prompt.Length, ttft, gaps, tokens);
    }
}
