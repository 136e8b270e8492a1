namespace SharpServe.Cli.Benchmarks;

/// <summary>
/// What the driver saw of one request: time to the first token, the gaps between consecutive streamed
/// events (the inter-token latencies), and how many tokens arrived.
/// </summary>
public sealed record RequestRecord(int PromptTokens, double TtftMs, IReadOnlyList<double> GapsMs, int OutputTokens);
