namespace SharpServe.Fleet.Gateway;

/// <summary>The routing policy names accepted by <c>--routing</c>.</summary>
public static class RoutingPolicies
{
    public const string LeastRequests = "least-requests";
    public const string PowerOfTwo = "power-of-two";
    public const string RoundRobin = "round-robin";
    public const string PrefixAffinity = "prefix-affinity";

    public static IReadOnlyList<string> Names { get; } = [LeastRequests, PowerOfTwo, RoundRobin, PrefixAffinity];

    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static IRoutingPolicy Create(string name, int prefixAffinityMaxImbalance, Random? random = null) => name switch
    {
        LeastRequests => new LeastRequestsPolicy(),
        PowerOfTwo => new PowerOfTwoPolicy(random ?? new Random()),
        RoundRobin => new RoundRobinPolicy(),
        PrefixAffinity => new PrefixAffinityPolicy(prefixAffinityMaxImbalance),
        _ => throw new ArgumentException($"Unknown routing policy '{name}'; expected one of {string.Join(", ", Names)}"),
    };
}
