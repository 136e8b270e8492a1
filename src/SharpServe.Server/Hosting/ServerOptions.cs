namespace SharpServe.Server.Hosting;

/// <summary>Where the server listens and who may use it (vLLM's --host, --port, --api-key).</summary>
public sealed record ServerOptions
{
    public string Host { get; init; } = "0.0.0.0";

    public int Port { get; init; } = 8000;

    /// <summary>Null leaves the API open.</summary>
    public string? ApiKey { get; init; }
}
