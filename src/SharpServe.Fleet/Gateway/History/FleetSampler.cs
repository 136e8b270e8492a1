namespace SharpServe.Fleet.Gateway.History;

/// <summary>
/// Every <c>interval</c>, reads each instance's load and the gateway's latencies for the interval and adds one
/// <see cref="FleetSample"/> to the history behind the dashboard's charts.
/// </summary>
public sealed class FleetSampler : IAsyncDisposable
{
    private readonly IReadOnlyList<UpstreamState> _upstreams;
    private readonly IInstanceScraper _scraper;
    private readonly RequestLatencies _latencies;
    private readonly FleetHistory _history;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (double Tokens, long Timestamp)> _lastTokens = new(StringComparer.Ordinal);
    private readonly BackgroundLoop _loop;

    public FleetSampler(IReadOnlyList<UpstreamState> upstreams, IInstanceScraper scraper, RequestLatencies latencies, FleetHistory history, TimeSpan interval, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _upstreams = upstreams;
        _scraper = scraper;
        _latencies = latencies;
        _history = history;
        _time = time;
        _loop = new BackgroundLoop(SampleAsync, interval, time, firstRoundAtOnce: false);
    }

    public void Start() => _loop.Start();

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>Takes one sample now (the loop calls this each interval; tests call it directly).</summary>
    public async Task SampleAsync(CancellationToken cancellation)
    {
        InstanceLoad[] loads = await Task.WhenAll(_upstreams.Select(upstream => _scraper.ScrapeAsync(upstream, cancellation)));
        var instances = new List<InstanceSample>(_upstreams.Count);
        for (int i = 0; i < _upstreams.Count; i++)
        {
            UpstreamState upstream = _upstreams[i];
            LatencySummary latency = _latencies.Of(upstream.Id).Take();
            instances.Add(new InstanceSample(upstream.Id, upstream.IsHealthy, upstream.InFlight, loads[i].Running, loads[i].Waiting,
                loads[i].KvCacheUsage, TokensPerSecond(upstream.Id, loads[i].GenerationTokens), latency.Count, latency.P50Milliseconds, latency.P99Milliseconds));
        }

        LatencySummary fleet = _latencies.Fleet.Take();
        var total = new InstanceSample("fleet", instances.Any(instance => instance.Healthy), instances.Sum(instance => instance.InFlight),
            Sum(instances, instance => instance.Running), Sum(instances, instance => instance.Waiting), null,
            Sum(instances, instance => instance.TokensPerSecond), fleet.Count, fleet.P50Milliseconds, fleet.P99Milliseconds);
        _history.Add(new FleetSample(_time.GetUtcNow().ToUnixTimeMilliseconds(), total, instances));
    }



    private double? TokensPerSecond(string id, double? tokens)
    {
        long now = _time.GetTimestamp();
        double? rate = _lastTokens.TryGetValue(id, out var last) ? CounterRate.PerSecond(last.Tokens, tokens, _time.GetElapsedTime(last.Timestamp, now)) : null;
        if (tokens is { } value)
        {
            _lastTokens[id] = (value, now);
        }
        else
        {
            // Unreadable (down): the next reading starts a new baseline rather than spanning the gap.
            _lastTokens.Remove(id);
        }

        return rate;
    }

    private static double? Sum(List<InstanceSample> instances, Func<InstanceSample, double?> value) =>
        instances.Select(value).Where(v => v is not null).Aggregate((double?)null, (sum, v) => (sum ?? 0) + v);
}
