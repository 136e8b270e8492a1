using System.Runtime.CompilerServices;
using SharpServe.Cli.Benchmarks;

namespace SharpServe.Cli.Tests.Benchmarks;

public sealed class ClosedLoopDriverTests
{
    /// <summary>Streams <c>maxTokens</c> one-token events with small delays, counting how many requests overlap.</summary>
    private sealed class FakeTarget : IGenerationTarget
    {
        private int _inFlight;
        private readonly Lock _gate = new();
        private int _started;

        public int MaxInFlight { get; private set; }

        public int Started => _started;

        public async IAsyncEnumerable<int> Generate(int[] promptIds, int maxTokens)
        {
            Interlocked.Increment(ref _started);
            int now = Interlocked.Increment(ref _inFlight);
            lock (_gate)
            {
                MaxInFlight = Math.Max(MaxInFlight, now);
            }

            try
            {
                // Uneven request lengths, so workers finish out of step and the loop must refill each slot on its own.
                await Task.Delay(1 + (promptIds[0] % 3));
                for (int i = 0; i < maxTokens; i++)
                {
                    await Task.Delay(1);
                    yield return 1;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task KeepsExactlyConcurrencyInFlight_AndCompletesEveryRequest(int concurrency)
    {
        var target = new FakeTarget();
        int[][] prompts = [.. Enumerable.Range(0, 20).Select(i => new[] { i, i })];
        DriverRun run = await ClosedLoopDriver.RunAsync(target, prompts, concurrency, maxTokens: 4);
        Assert.Equal(concurrency, target.MaxInFlight);
        Assert.Equal(20, target.Started);
        Assert.Equal(20, run.Requests.Count);
        Assert.All(run.Requests, r => Assert.Equal((2, 4, 3), (r.PromptTokens, r.OutputTokens, r.GapsMs.Count)));
        Assert.All(run.Requests, r => Assert.True(r.TtftMs > 0 && r.GapsMs.All(gap => gap > 0)));
        Assert.True(run.Duration.TotalMilliseconds >= run.Requests.Max(r => r.TtftMs + r.GapsMs.Sum()));
    }

    [Fact]
    public async Task MorePromptsThanSlots_NeverExceedsTheSlots_FewerPromptsUseFewer()
    {
        var target = new FakeTarget();
        await ClosedLoopDriver.RunAsync(target, [[1], [2]], concurrency: 5, maxTokens: 2);
        Assert.Equal(2, target.MaxInFlight);
    }
}
