using Microsoft.Extensions.Time.Testing;
using SharpServe.Fleet.Gateway;
using SharpServe.Fleet.Gateway.History;

namespace SharpServe.Fleet.Tests.Gateway.History;

public class FleetSamplerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Instance metrics set by the test, per upstream id; a missing id reads as unreachable.</summary>
    private sealed class FakeScraper : IInstanceScraper
    {
        public Dictionary<string, InstanceLoad> Loads { get; } = [];

        public Task<InstanceLoad> ScrapeAsync(UpstreamState upstream, CancellationToken cancellation) =>
            Task.FromResult(Loads.GetValueOrDefault(upstream.Id, InstanceLoad.Unknown));
    }

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeScraper _scraper = new();
    private readonly UpstreamState _a = new(new Upstream("a", new Uri("http://127.0.0.1:1/"), ["m"]));
    private readonly UpstreamState _b = new(new Upstream("b", new Uri("http://127.0.0.1:2/"), ["m"]));
    private readonly RequestLatencies _latencies = new(["a", "b"]);
    private readonly FleetHistory _history = new(TimeSpan.FromMinutes(10));

    private FleetSampler Sampler() => new([_a, _b], _scraper, _latencies, _history, Interval, _time);

    private static InstanceLoad Tokens(double? total) => new(0.25, 2, 1, total);

    private InstanceSample Last(string id) => _history.Snapshot()[^1].Instances.Single(instance => instance.Id == id);

    [Fact]
    public async Task Tokens_per_second_is_the_counter_delta_over_the_interval()
    {
        await using var sampler = Sampler();
        _scraper.Loads["a"] = Tokens(100);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Null(Last("a").TokensPerSecond);

        _time.Advance(Interval);
        _scraper.Loads["a"] = Tokens(300);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Equal(100, Last("a").TokensPerSecond);

        // The rate is over the time that really passed, not the nominal interval.
        _time.Advance(TimeSpan.FromSeconds(4));
        _scraper.Loads["a"] = Tokens(500);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Equal(50, Last("a").TokensPerSecond);
    }

    [Fact]
    public async Task A_counter_reset_after_a_restart_counts_from_zero_and_is_never_negative()
    {
        await using var sampler = Sampler();
        _scraper.Loads["a"] = Tokens(5000);
        await sampler.SampleAsync(CancellationToken.None);
        _time.Advance(Interval);
        _scraper.Loads["a"] = Tokens(20);
        await sampler.SampleAsync(CancellationToken.None);

        Assert.Equal(10, Last("a").TokensPerSecond);
    }

    [Fact]
    public async Task An_unreadable_instance_has_no_rate_and_the_next_reading_starts_a_new_baseline()
    {
        await using var sampler = Sampler();
        _scraper.Loads["a"] = Tokens(100);
        await sampler.SampleAsync(CancellationToken.None);
        _time.Advance(Interval);
        _scraper.Loads.Remove("a");
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Null(Last("a").TokensPerSecond);
        Assert.Null(Last("a").Running);

        _time.Advance(Interval);
        _scraper.Loads["a"] = Tokens(40);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Null(Last("a").TokensPerSecond);
        _time.Advance(Interval);
        _scraper.Loads["a"] = Tokens(60);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Equal(10, Last("a").TokensPerSecond);
    }

    [Fact]
    public async Task Latency_percentiles_and_counts_cover_only_the_requests_of_the_interval()
    {
        await using var sampler = Sampler();
        for (int ms = 1; ms <= 100; ms++)
        {
            _latencies.Record("a", TimeSpan.FromMilliseconds(ms));
        }

        _latencies.Record("b", TimeSpan.FromSeconds(3));
        await sampler.SampleAsync(CancellationToken.None);

        InstanceSample a = Last("a");
        Assert.Equal(100, a.Requests);
        Assert.InRange(a.LatencyP50Ms!.Value, 49.95, 50.05);
        Assert.InRange(a.LatencyP99Ms!.Value, 98.9, 99.1);
        Assert.Equal(1, Last("b").Requests);
        Assert.InRange(Last("b").LatencyP50Ms!.Value, 2997, 3003);

        // The fleet's percentiles are over all 101 requests, not an average of the instances'.
        InstanceSample fleet = _history.Snapshot()[^1].Fleet;
        Assert.Equal(101, fleet.Requests);
        Assert.InRange(fleet.LatencyP50Ms!.Value, 50.9, 51.1);
        Assert.InRange(fleet.LatencyP99Ms!.Value, 99.9, 100.1);

        _time.Advance(Interval);
        await sampler.SampleAsync(CancellationToken.None);
        Assert.Equal(0, Last("a").Requests);
        Assert.Null(Last("a").LatencyP50Ms);
    }

    [Fact]
    public async Task Fleet_totals_sum_the_instances_that_could_be_read()
    {
        await using var sampler = Sampler();
        _scraper.Loads["a"] = new InstanceLoad(0.5, 3, 2, 0);
        _scraper.Loads["b"] = new InstanceLoad(0.1, 1, 0, 0);
        _a.BeginRequest();
        _a.BeginRequest();
        _b.BeginRequest();
        _a.Health.ProbeSucceeded();
        await sampler.SampleAsync(CancellationToken.None);
        _time.Advance(Interval);
        _scraper.Loads["a"] = new InstanceLoad(0.5, 3, 2, 40);
        _scraper.Loads.Remove("b");
        await sampler.SampleAsync(CancellationToken.None);

        FleetSample sample = _history.Snapshot()[^1];
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), sample.UnixMilliseconds);
        Assert.True(Last("a").Healthy);
        Assert.False(Last("b").Healthy);
        Assert.Equal(3, sample.Fleet.InFlight);
        Assert.Equal(3, sample.Fleet.Running);
        Assert.Equal(2, sample.Fleet.Waiting);
        Assert.Equal(20, sample.Fleet.TokensPerSecond);
        Assert.True(sample.Fleet.Healthy);
    }

    [Fact]
    public async Task The_loop_samples_once_per_interval_of_the_injected_clock()
    {
        await using var sampler = Sampler();
        sampler.Start();
        Assert.Empty(_history.Snapshot());

        _time.Advance(Interval);
        await WaitForCountAsync(1);
        _time.Advance(Interval);
        await WaitForCountAsync(2);
        Assert.Equal(Interval.TotalMilliseconds, _history.Snapshot()[1].UnixMilliseconds - _history.Snapshot()[0].UnixMilliseconds);
    }

    [Fact]
    public void The_history_keeps_only_its_window_oldest_first()
    {
        var history = new FleetHistory(TimeSpan.FromSeconds(10));
        var empty = new InstanceSample("fleet", true, 0, null, null, null, null, 0, null, null);
        for (long ms = 0; ms <= 30_000; ms += 2000)
        {
            history.Add(new FleetSample(ms, empty, []));
        }

        Assert.Equal([20_000, 22_000, 24_000, 26_000, 28_000, 30_000], history.Snapshot().Select(sample => sample.UnixMilliseconds));
    }

    [Theory]
    [InlineData(100.0, 300.0, 2.0, 100.0)]
    [InlineData(300.0, 300.0, 2.0, 0.0)]
    [InlineData(300.0, 30.0, 3.0, 10.0)]
    public void Counter_rate(double previous, double current, double seconds, double expected) =>
        Assert.Equal(expected, CounterRate.PerSecond(previous, current, TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Counter_rate_needs_both_readings_and_elapsed_time()
    {
        Assert.Null(CounterRate.PerSecond(null, 5, TimeSpan.FromSeconds(1)));
        Assert.Null(CounterRate.PerSecond(5, null, TimeSpan.FromSeconds(1)));
        Assert.Null(CounterRate.PerSecond(5, 9, TimeSpan.Zero));
    }

    private async Task WaitForCountAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_history.Snapshot().Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the sampler did not take sample {count} within 10 s");
            await Task.Delay(10);
        }
    }
}
