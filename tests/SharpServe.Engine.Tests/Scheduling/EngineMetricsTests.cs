using System.Collections.Concurrent;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>The latency observations an engine reports through <see cref="IEngineMetricsSink"/>.</summary>
public sealed class EngineMetricsTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task FinishedRequests_ReportOneObservationPerMilestone()
    {
        int[] maxTokens = [5, 1, 7];
        var sink = new RecordingSink();
        using var engine = new LlmEngine(fixture.Model, new SchedulerConfig(64, 16, 512, 64), 256, KvCacheDType.Float32, enablePrefixCaching: true, sink, new SteppingClock());

        var readers = maxTokens.Select((max, i) => engine.Submit(new EngineRequest(
            $"r{i}", EngineHarness.RandomPrompt(20 + i, seed: i), new SamplingParams(temperature: 0, maxTokens: max, ignoreEos: true))));
        await Task.WhenAll(readers.Select(TinyModelFixture.Collect)).WaitAsync(TinyModelFixture.Timeout);

        Assert.Equal(maxTokens.Length, sink.Queue.Count);
        Assert.Equal(maxTokens.Length, sink.FirstToken.Count);
        Assert.Equal(maxTokens.Sum(max => max - 1), sink.InterToken.Count);
        Assert.Equal(maxTokens.Length, sink.EndToEnd.Count);
        Assert.Equal(Enumerable.Repeat(FinishReason.Length, maxTokens.Length), sink.Finished);
        // Every clock read advances it, so each interval is positive and each request's milestones are strictly
        // ordered. The sink does not say which request an observation belongs to, so the order is checked on the sums.
        Assert.All(sink.Queue.Concat(sink.FirstToken).Concat(sink.InterToken).Concat(sink.EndToEnd), seconds => Assert.True(seconds > 0, $"{seconds}"));
        Assert.True(sink.Queue.Sum() < sink.FirstToken.Sum(), $"queue {sink.Queue.Sum()} vs TTFT {sink.FirstToken.Sum()}");
        Assert.True(sink.FirstToken.Sum() < sink.EndToEnd.Sum(), $"TTFT {sink.FirstToken.Sum()} vs e2e {sink.EndToEnd.Sum()}");
    }

    [Fact]
    public async Task OneRequest_EndToEndCoversFirstTokenPlusInterTokenGaps()
    {
        var sink = new RecordingSink();
        using var engine = new LlmEngine(fixture.Model, new SchedulerConfig(64, 16, 512, 64), 256, KvCacheDType.Float32, enablePrefixCaching: true, sink, new SteppingClock());

        await TinyModelFixture.Collect(engine.Submit(new EngineRequest(
            "r", EngineHarness.RandomPrompt(30, seed: 3), new SamplingParams(temperature: 0, maxTokens: 6, ignoreEos: true))));

        double firstToken = Assert.Single(sink.FirstToken);
        double endToEnd = Assert.Single(sink.EndToEnd);
        Assert.Equal(5, sink.InterToken.Count);
        Assert.True(Assert.Single(sink.Queue) < firstToken);
        // The finish is read after the last token, so e2e is at least TTFT plus the gaps between tokens.
        Assert.InRange(firstToken + sink.InterToken.Sum(), firstToken, endToEnd);
    }

    [Fact]
    public async Task AbortedRequest_ReportsNoFinish()
    {
        var sink = new RecordingSink();
        using var engine = new LlmEngine(fixture.Model, new SchedulerConfig(4, 16, 2048, 64), 128, KvCacheDType.Float32, enablePrefixCaching: true, sink, new SteppingClock());

        var reader = engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(2000, seed: 8), new SamplingParams(maxTokens: 2)));
        engine.Abort("r");

        Assert.Empty(await TinyModelFixture.Collect(reader));
        Assert.Empty(sink.EndToEnd);
        Assert.Empty(sink.Finished);
    }

    /// <summary>A clock that moves 1 ms forward on every read, so tests see distinct, deterministic timestamps.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, TimeSpan.TicksPerMillisecond);
    }

    /// <summary>Written by the engine thread, read by the test after the readers completed.</summary>
    private sealed class RecordingSink : IEngineMetricsSink
    {
        public ConcurrentQueue<double> Queue { get; } = new();
        public ConcurrentQueue<double> FirstToken { get; } = new();
        public ConcurrentQueue<double> InterToken { get; } = new();
        public ConcurrentQueue<double> EndToEnd { get; } = new();
        public ConcurrentQueue<FinishReason> Finished { get; } = new();

        public void ObserveQueueTime(double seconds) => Queue.Enqueue(seconds);
        public void ObserveTimeToFirstToken(double seconds) => FirstToken.Enqueue(seconds);
        public void ObserveInterTokenLatency(double seconds) => InterToken.Enqueue(seconds);
        public void ObserveEndToEndLatency(double seconds) => EndToEnd.Enqueue(seconds);
        public void RequestFinished(FinishReason reason) => Finished.Enqueue(reason);
    }
}
