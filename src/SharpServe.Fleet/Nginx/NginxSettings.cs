namespace SharpServe.Fleet.Nginx;

/// <summary>What <see cref="NginxConfig"/> needs to put nginx in front of a fleet's instances.</summary>
/// <param name="Listen">host:port nginx listens on (the spec's gateway.listen).</param>
/// <param name="Instances">The instances' host:port addresses, e.g. 127.0.0.1:8001.</param>
/// <param name="ReadTimeoutSeconds">Longest wait for the next bytes of a response: above the longest queue wait plus generation.</param>
/// <param name="MaxFails">Connection errors within <paramref name="FailTimeoutSeconds"/> that take an instance out of rotation.</param>
/// <param name="FailTimeoutSeconds">How long those errors are counted, and how long the instance then stays out.</param>
/// <param name="TlsCertificatePath">PEM certificate for HTTPS; null serves plain HTTP.</param>
/// <param name="TlsKeyPath">PEM private key for the certificate (may be the same file).</param>
/// <param name="ClientMaxBodySize">nginx size for the largest request body, e.g. 16m; null keeps nginx's 1m.</param>
public sealed record NginxSettings(
    string Listen,
    IReadOnlyList<string> Instances,
    int ReadTimeoutSeconds = NginxSettings.DefaultReadTimeoutSeconds,
    int MaxFails = 1,
    int FailTimeoutSeconds = 10,
    string? TlsCertificatePath = null,
    string? TlsKeyPath = null,
    string? ClientMaxBodySize = null)
{
    /// <summary>One hour: far above a max-length generation on a CPU at a few tokens a second plus its queue wait.</summary>
    public const int DefaultReadTimeoutSeconds = 3600;
}
