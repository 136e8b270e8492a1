using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// GET /fleet/status: the routing policy and, per upstream, what the gateway knows (health, in flight, counts),
/// what the supervisor knows (process, when there is one), and its load scraped now from its /metrics.
/// </summary>
internal sealed class FleetStatus(UpstreamSet upstreams, IRoutingPolicy policy, IInstanceProcesses? processes, HttpClient scrapeClient, GatewayOptions options, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public async Task WriteAsync(HttpContext context)
    {
        IReadOnlyList<InstanceProcessStatus> processStatus = processes?.Snapshot() ?? [];
        InstanceLoad[] loads = await Task.WhenAll(upstreams.All.Select(upstream => ScrapeAsync(upstream, context.RequestAborted)));
        var instances = upstreams.All.Select((upstream, i) =>
        {
            InstanceProcessStatus? process = processStatus.FirstOrDefault(p => p.UpstreamId == upstream.Id);
            return new InstanceStatus(
                upstream.Id,
                upstream.Upstream.Address.AbsoluteUri,
                upstream.Models,
                upstream.Health.State.ToString().ToLowerInvariant(),
                upstream.Health.LastError,
                upstream.InFlight,
                upstream.Requests,
                upstream.Retries,
                process?.Pid,
                process?.Port,
                process?.State,
                process?.Restarts,
                process?.LastExit,
                process?.PssBytes,
                loads[i].KvCacheUsage,
                loads[i].Running,
                loads[i].Waiting);
        }).ToList();
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new Status(policy.Name, instances), Json, context.RequestAborted);
    }

    private async Task<InstanceLoad> ScrapeAsync(UpstreamState upstream, CancellationToken cancellation)
    {
        // Short: a status page should answer even when an instance hangs.
        using var timeout = new CancellationTokenSource(options.HealthTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellation);
        try
        {
            string text = await scrapeClient.GetStringAsync(new Uri(upstream.Upstream.Address, "metrics"), linked.Token);
            return InstanceLoad.Parse(text);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return InstanceLoad.Unknown;
        }
    }

    private sealed record Status(string Routing, IReadOnlyList<InstanceStatus> Instances);

    private sealed record InstanceStatus(
        string Id,
        string Url,
        IReadOnlyList<string> Models,
        string Health,
        string? LastError,
        int InFlight,
        long Requests,
        long Retries,
        int? Pid,
        int? Port,
        string? State,
        int? Restarts,
        string? LastExit,
        long? PssBytes,
        double? KvCacheUsage,
        double? NumRequestsRunning,
        double? NumRequestsWaiting);
}
