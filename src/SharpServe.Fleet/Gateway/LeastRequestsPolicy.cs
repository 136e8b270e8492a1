namespace SharpServe.Fleet.Gateway;

/// <summary>The upstream with the fewest requests in flight through this gateway; ties go to the first listed.</summary>
public sealed class LeastRequestsPolicy : IRoutingPolicy
{
    public string Name => RoutingPolicies.LeastRequests;

    public UpstreamState Choose(IReadOnlyList<UpstreamState> candidates, string? promptPrefix) => Least(candidates);

    public static UpstreamState Least(IReadOnlyList<UpstreamState> candidates)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        UpstreamState best = candidates[0];
        for (int i = 1; i < candidates.Count; i++)
        {
            if (candidates[i].InFlight < best.InFlight)
            {
                best = candidates[i];
            }
        }

        return best;
    }
}
