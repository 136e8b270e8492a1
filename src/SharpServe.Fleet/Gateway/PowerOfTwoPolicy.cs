namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Two distinct random candidates, the one with fewer requests in flight wins: near least-requests balance
/// without every gateway (or burst) piling onto the same least-loaded instance.
/// </summary>
public sealed class PowerOfTwoPolicy(Random random) : IRoutingPolicy
{
    private readonly Lock _lock = new();

    public string Name => RoutingPolicies.PowerOfTwo;

    public UpstreamState Choose(IReadOnlyList<UpstreamState> candidates, string? promptPrefix)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        int first, second;
        lock (_lock)
        {
            // Random is not thread-safe; the second pick skips the first so the two are distinct.
            first = random.Next(candidates.Count);
            second = random.Next(candidates.Count - 1);
        }

        if (second >= first)
        {
            second++;
        }

        return candidates[second].InFlight < candidates[first].InFlight ? candidates[second] : candidates[first];
    }
}
