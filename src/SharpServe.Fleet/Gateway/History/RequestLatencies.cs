namespace SharpServe.Fleet.Gateway.History;

/// <summary>The gateway's own timing of each completed request (arrival at the instance to the response's end), per upstream and for the fleet.</summary>
public sealed class RequestLatencies
{
    private readonly Dictionary<string, LatencyWindow> _byUpstream;

    public RequestLatencies(IEnumerable<string> upstreamIds) => _byUpstream = upstreamIds.ToDictionary(id => id, _ => new LatencyWindow(), StringComparer.Ordinal);

    public LatencyWindow Fleet { get; } = new();

    public LatencyWindow Of(string upstreamId) => _byUpstream[upstreamId];

    public void Record(string upstreamId, TimeSpan elapsed)
    {
        Of(upstreamId).Record(elapsed);
        Fleet.Record(elapsed);
    }
}
