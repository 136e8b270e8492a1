namespace SharpServe.Fleet.Gateway.History;

/// <summary>Reads an instance's load from its /metrics (a fake in the sampler's tests).</summary>
public interface IInstanceScraper
{
    /// <returns><see cref="InstanceLoad.Unknown"/> when the instance cannot be read.</returns>
    Task<InstanceLoad> ScrapeAsync(UpstreamState upstream, CancellationToken cancellation);
}

/// <summary>GET /metrics with a short timeout, so one hung instance does not stall the sampler.</summary>
internal sealed class HttpInstanceScraper(HttpClient client, TimeSpan timeout, TimeProvider time) : IInstanceScraper
{
    public async Task<InstanceLoad> ScrapeAsync(UpstreamState upstream, CancellationToken cancellation)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellation);
        try
        {
            return InstanceLoad.Parse(await client.GetStringAsync(new Uri(upstream.Upstream.Address, "metrics"), linked.Token));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return InstanceLoad.Unknown;
        }
    }
}
