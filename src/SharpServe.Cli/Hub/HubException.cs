namespace SharpServe.Cli.Hub;

/// <summary>A Hugging Face download that cannot go on; an <see cref="IOException"/> so the CLI reports it as one line.</summary>
public sealed class HubException(string message) : IOException(message);
