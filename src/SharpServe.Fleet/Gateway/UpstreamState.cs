namespace SharpServe.Fleet.Gateway;

/// <summary>
/// What the gateway tracks for one upstream: its health, the model names it serves (fixed, or read from its
/// /v1/models when it becomes healthy), and its requests in flight through this gateway.
/// </summary>
public sealed class UpstreamState
{
    private int _inFlight;
    private long _requests;
    private long _retries;
    private volatile IReadOnlyList<string> _models;

    public UpstreamState(Upstream upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        Upstream = upstream;
        _models = upstream.ServedModelNames;
        DiscoversModels = upstream.ServedModelNames.Count == 0;
    }

    public Upstream Upstream { get; }

    public string Id => Upstream.Id;

    public HealthJudge Health { get; } = new();

    public bool IsHealthy => Health.State == HealthState.Healthy;

    /// <summary>No names were given, so they come from the upstream's GET /v1/models.</summary>
    public bool DiscoversModels { get; }

    public IReadOnlyList<string> Models => _models;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Requests forwarded to it (each attempt counts, a retry's too).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that failed here before a response started and were retried on another upstream.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public bool Serves(string model) => _models.Contains(model, StringComparer.Ordinal);

    public void SetModels(IReadOnlyList<string> models) => _models = models;

    public void BeginRequest()
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _requests);
    }

    public void EndRequest() => Interlocked.Decrement(ref _inFlight);

    public void CountRetry() => Interlocked.Increment(ref _retries);
}
