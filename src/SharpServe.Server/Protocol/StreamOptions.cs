namespace SharpServe.Server.Protocol;

/// <summary>OpenAI's stream_options: include_usage adds a last chunk with the usage and no choices.</summary>
public sealed class StreamOptions
{
    public bool IncludeUsage { get; init; }
}
