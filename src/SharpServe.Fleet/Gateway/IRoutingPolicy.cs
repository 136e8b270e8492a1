namespace SharpServe.Fleet.Gateway;

/// <summary>Picks the upstream for one request among the eligible ones (healthy, serving its model, not yet tried).</summary>
public interface IRoutingPolicy
{
    string Name { get; }

    /// <param name="candidates">Never empty.</param>
    /// <param name="promptPrefix">The start of the prompt text, when the request has one.</param>
    UpstreamState Choose(IReadOnlyList<UpstreamState> candidates, string? promptPrefix);
}
