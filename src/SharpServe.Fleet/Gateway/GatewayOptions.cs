using System.Globalization;
using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Gateway;

/// <summary>How a gateway listens, routes, checks health and guards its routes.</summary>
public sealed record GatewayOptions
{
    /// <summary>The address to bind; 0.0.0.0 for every interface.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port to bind; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>least-requests (default), power-of-two, round-robin or prefix-affinity.</summary>
    public string Routing { get; init; } = RoutingPolicies.LeastRequests;

    /// <summary>Keys accepted as <c>Authorization: Bearer KEY</c>; empty means the routes are open.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Requests per minute per API key (per client IP without keys); null means no limit.</summary>
    public int? RateLimitPerMinute { get; init; }

    /// <summary>A PEM certificate (with <see cref="TlsKeyPath"/>) or a PFX file (without); null serves plain HTTP.</summary>
    public string? TlsCertificatePath { get; init; }

    public string? TlsKeyPath { get; init; }

    /// <summary>Sent to the instances as <c>Authorization: Bearer KEY</c> when they require a key themselves.</summary>
    public string? UpstreamApiKey { get; init; }

    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A probe not answered within this counts as failed, so an instance that hangs with its port open goes out of rotation.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Short, so a dead instance's connect fails fast and the request is retried elsewhere.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest silence from an instance mid-request; generations run for minutes, so this is long.</summary>
    public TimeSpan UpstreamActivityTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often /fleet/history samples the instances (the dashboard's charts).</summary>
    public TimeSpan HistoryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How far back /fleet/history keeps samples.</summary>
    public TimeSpan HistoryWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Request bodies are buffered (to read the model and to retry); larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>prefix-affinity leaves its sticky instance when that one has this many more requests in flight than the least loaded.</summary>
    public int PrefixAffinityMaxImbalance { get; init; } = 4;

    /// <summary>The Retry-After (seconds) sent with 503 when no instance can take a request.</summary>
    public int NoUpstreamRetryAfterSeconds { get; init; } = 1;

    /// <summary>The gateway a fleet spec describes (already validated: listen is host:port).</summary>
    public static GatewayOptions FromSpec(GatewaySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int colon = spec.Listen.LastIndexOf(':');
        return new GatewayOptions
        {
            // "[::]:8000" names an IPv6 address in brackets, as URLs do.
            Host = spec.Listen[..colon].Trim('[', ']'),
            Port = int.Parse(spec.Listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture),
            Routing = spec.Routing,
            ApiKeys = spec.ApiKeys,
            RateLimitPerMinute = spec.RateLimits?.RequestsPerMinute,
            TlsCertificatePath = spec.TlsCertificate,
            TlsKeyPath = spec.TlsKey,
        };
    }
}
