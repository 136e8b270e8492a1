namespace SharpServe.Fleet.Gateway;

/// <summary>Each candidate in turn, whatever its load.</summary>
public sealed class RoundRobinPolicy : IRoutingPolicy
{
    private long _next = -1;

    public string Name => RoutingPolicies.RoundRobin;

    public UpstreamState Choose(IReadOnlyList<UpstreamState> candidates, string? promptPrefix)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        long turn = Interlocked.Increment(ref _next);
        return candidates[(int)(turn % candidates.Count)];
    }
}
