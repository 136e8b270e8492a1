using System.Diagnostics;
using SharpServe.Cli.Benchmarks.Serve;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

public sealed class ServeBenchDriverTests
{
    private static readonly ServeRequestResult Ok = new(true, null, 1, 1, 1, 1, []);

    private static BenchPrompt[] Prompts(int count) => [.. Enumerable.Range(0, count).Select(i => new BenchPrompt($"p{i}", 1, 1))];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Max_concurrency_is_never_exceeded_and_is_reached(int limit)
    {
        int inFlight = 0;
        int most = 0;
        var gate = new Lock();
        int finished = 0;

        async Task<ServeRequestResult> Send(BenchPrompt prompt, CancellationToken cancellation)
        {
            lock (gate)
            {
                most = Math.Max(most, ++inFlight);
            }

            await Task.Delay(5 + (prompt.Text.Length % 3), cancellation);
            lock (gate)
            {
                inFlight--;
            }

            return Ok;
        }

        ServeRun run = await ServeBenchDriver.RunAsync(Prompts(30), new double[30], limit, Send, () => Interlocked.Increment(ref finished), TimeProvider.System, CancellationToken.None);

        Assert.Equal(30, run.Results.Count);
        Assert.Equal(30, finished);
        Assert.Equal(limit, most);
    }

    [Fact]
    public async Task Without_a_limit_and_with_zero_gaps_every_request_is_in_flight_at_once()
    {
        const int count = 20;
        int started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task<ServeRequestResult> Send(BenchPrompt prompt, CancellationToken cancellation)
        {
            if (Interlocked.Increment(ref started) == count)
            {
                allStarted.SetResult();
            }

            // No request finishes before all have been sent: a driver that waited for answers would time out here.
            await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellation);
            return Ok;
        }

        ServeRun run = await ServeBenchDriver.RunAsync(Prompts(count), ArrivalSchedule.Gaps(count, double.PositiveInfinity, 1, new Random(1)), null, Send, null, TimeProvider.System, CancellationToken.None);

        Assert.All(run.Results, r => Assert.True(r.Success));
    }

    [Fact]
    public async Task Requests_are_sent_on_the_schedule_whatever_the_answers_take()
    {
        var sentAt = new long[4];
        int next = 0;
        async Task<ServeRequestResult> Send(BenchPrompt prompt, CancellationToken cancellation)
        {
            sentAt[Interlocked.Increment(ref next) - 1] = Stopwatch.GetTimestamp();
            await Task.Delay(1000, cancellation); // answers much slower than the gaps: an open loop does not wait for them
            return Ok;
        }

        var clock = Stopwatch.StartNew();
        await ServeBenchDriver.RunAsync(Prompts(4), [0.3, 0.3, 0.3, 0.3], null, Send, null, TimeProvider.System, CancellationToken.None);

        for (int i = 1; i < 4; i++)
        {
            Assert.True(Stopwatch.GetElapsedTime(sentAt[0], sentAt[i]).TotalSeconds >= (0.3 * i) - 0.02, $"request {i} went early");
        }

        // Closed-loop sending would take 4 × 1 s; on schedule it is 0.9 s of gaps + 1 s for the last answer.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3.9), $"the run took {clock.Elapsed}");
    }
}
