namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// What the client saw of one streamed request, with vLLM's definitions: TTFT from sending to the first
/// chunk with text, ITL the gaps between consecutive text chunks, E2EL from sending to the end of the stream.
/// </summary>
public sealed record ServeRequestResult(
    bool Success,
    string? Error,
    int PromptTokens,
    int OutputTokens,
    double TtftMs,
    double E2eMs,
    IReadOnlyList<double> ItlMs)
{
    /// <summary>Time per output token after the first, (E2EL − TTFT) / (tokens − 1); undefined for one token.</summary>
    public double? TpotMs => OutputTokens > 1 ? (E2eMs - TtftMs) / (OutputTokens - 1) : null;

    public static ServeRequestResult Failed(string error, double e2eMs) => new(false, error, 0, 0, double.NaN, e2eMs, []);
}
