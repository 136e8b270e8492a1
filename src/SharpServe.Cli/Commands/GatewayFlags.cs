using System.CommandLine;
using SharpServe.Fleet.Gateway;

namespace SharpServe.Cli.Commands;

/// <summary>The gateway's flags, the same on <c>sharpserve gateway</c> and <c>sharpserve fleet</c>.</summary>
internal sealed class GatewayFlags
{
    public Option<string> Host { get; } = new("--host") { Description = "Address the gateway listens on", DefaultValueFactory = _ => "0.0.0.0" };
    public Option<int> Port { get; } = new("--port") { Description = "Port the gateway listens on", DefaultValueFactory = _ => 8000 };

    public Option<string> Routing { get; } = new("--routing")
    {
        Description = $"How to pick an instance: {string.Join(", ", RoutingPolicies.Names)}",
        DefaultValueFactory = _ => RoutingPolicies.LeastRequests,
    };

    public Option<string[]> ApiKeys { get; } = new("--api-key") { Description = "A key clients must send as 'Authorization: Bearer KEY' to the gateway; repeat for several" };
    public Option<int?> RateLimitRpm { get; } = new("--rate-limit-rpm") { Description = "Requests per minute per API key (per client IP without keys)" };
    public Option<string?> TlsCertificate { get; } = new("--tls-certificate") { Description = "Serve HTTPS with this PEM certificate (with --tls-key) or PFX/PKCS#12 file" };
    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "PEM private key of a PEM --tls-certificate" };

    public IEnumerable<Option> All => [Host, Port, Routing, ApiKeys, RateLimitRpm, TlsCertificate, TlsKey];
}
