namespace SharpServe.Cli.Benchmarks;

/// <summary>
/// One concurrency level's results, with vLLM's benchmark definitions: throughput over the level's wall
/// time; TTFT per request; inter-token latency per gap between consecutive streamed events, pooled over
/// all requests (so the mean weighs every gap equally).
/// </summary>
public sealed record LevelStatistics(
    int Concurrency,
    int Completed,
    double DurationS,
    int InputTokens,
    int OutputTokens,
    double RequestsPerS,
    double OutputTokensPerS,
    double TotalTokensPerS,
    double MeanTtftMs,
    double MedianTtftMs,
    double P99TtftMs,
    double MeanItlMs,
    double MedianItlMs,
    double P99ItlMs)
{
    public static LevelStatistics From(int concurrency, DriverRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var requests = run.Requests;
        int output = requests.Sum(r => r.OutputTokens);
        int input = requests.Sum(r => r.PromptTokens);
        double seconds = run.Duration.TotalSeconds;
        double[] ttft = [.. requests.Select(r => r.TtftMs)];
        double[] gaps = [.. requests.SelectMany(r => r.GapsMs)];
        return new LevelStatistics(
            concurrency,
            requests.Count,
            seconds,
            input,
            output,
            requests.Count / seconds,
            output / seconds,
            (input + output) / seconds,
            ttft.Length > 0 ? ttft.Average() : double.NaN,
            Percentiles.Of(ttft, 50),
            Percentiles.Of(ttft, 99),
            gaps.Length > 0 ? gaps.Average() : double.NaN,
            Percentiles.Of(gaps, 50),
            Percentiles.Of(gaps, 99));
    }
}
