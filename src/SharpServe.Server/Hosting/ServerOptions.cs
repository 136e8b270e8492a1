namespace SharpServe.Server.Hosting;

/// <summary>Where the server listens, who may use it, and how it behaves around slow engines and shutdown.</summary>
public sealed record ServerOptions
{
    public string Host { get; init; } = "0.0.0.0";

    public int Port { get; init; } = 8000;

    /// <summary>Null leaves the API open.</summary>
    public string? ApiKey { get; init; }

    /// <summary>vLLM's --reasoning-parser; null leaves chat content unsplit.</summary>
    public string? ReasoningParser { get; init; }

    /// <summary>/health answers 503 when the engine has live requests and has not made progress for this long.</summary>
    public TimeSpan EngineStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An SSE stream with no event for this long gets a comment line, so idle-timeout proxies keep it open.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After SIGTERM or Ctrl+C, how long in-flight requests may run before they are cut.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
