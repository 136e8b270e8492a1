namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// One run's report with vLLM's definitions: throughputs over the run's wall time and over completed
/// requests only; TTFT, TPOT and E2EL per completed request (TPOT only for those with more than one
/// output token); ITL per gap, pooled over all requests. The per-request TTFTs and E2ELs are kept for
/// the chart and the JSON.
/// </summary>
public sealed record ServeLevelResult(
    int? MaxConcurrency,
    int Completed,
    int Failed,
    double DurationS,
    int TotalInputTokens,
    int TotalOutputTokens,
    double RequestThroughput,
    double OutputThroughput,
    double TotalTokenThroughput,
    LatencySummary Ttft,
    LatencySummary Tpot,
    LatencySummary Itl,
    LatencySummary E2el,
    IReadOnlyList<string> Errors,
    IReadOnlyList<double> TtftsMs,
    IReadOnlyList<double> E2elsMs)
{
    /// <summary>How many distinct error messages are kept: enough to diagnose, not a copy of every failure.</summary>
    private const int KeptErrors = 5;

    public static ServeLevelResult From(int? maxConcurrency, ServeRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        ServeRequestResult[] done = [.. run.Results.Where(r => r.Success)];
        double seconds = run.Duration.TotalSeconds;
        int input = done.Sum(r => r.PromptTokens);
        int output = done.Sum(r => r.OutputTokens);
        double[] ttfts = [.. done.Select(r => r.TtftMs)];
        double[] e2els = [.. done.Select(r => r.E2eMs)];
        return new ServeLevelResult(
            maxConcurrency,
            done.Length,
            run.Results.Count - done.Length,
            seconds,
            input,
            output,
            done.Length / seconds,
            output / seconds,
            (input + output) / seconds,
            LatencySummary.From(ttfts),
            LatencySummary.From([.. done.Where(r => r.TpotMs is not null).Select(r => r.TpotMs!.Value)]),
            LatencySummary.From([.. done.SelectMany(r => r.ItlMs)]),
            LatencySummary.From(e2els),
            [.. run.Results.Where(r => !r.Success).Select(r => r.Error!).Distinct().Take(KeptErrors)],
            ttfts,
            e2els);
    }
}
