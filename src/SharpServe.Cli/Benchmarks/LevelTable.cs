using System.Globalization;

namespace SharpServe.Cli.Benchmarks;

/// <summary>Levels as a Markdown table, one row per concurrency, for the terminal and for pasting into docs.</summary>
public static class LevelTable
{
    public static IEnumerable<string> Lines(IReadOnlyList<LevelStatistics> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        yield return "| concurrency | completed | duration s | req/s | output tok/s | total tok/s | mean TTFT ms | median TTFT ms | P99 TTFT ms | mean ITL ms | median ITL ms | P99 ITL ms |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (LevelStatistics s in levels)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"| {s.Concurrency} | {s.Completed} | {s.DurationS:F2} | {s.RequestsPerS:F3} | {s.OutputTokensPerS:F2} | {s.TotalTokensPerS:F2} | {s.MeanTtftMs:F1} | {s.MedianTtftMs:F1} | {s.P99TtftMs:F1} | {s.MeanItlMs:F1} | {s.MedianItlMs:F1} | {s.P99ItlMs:F1} |");
        }
    }

    /// <summary>One progress line for a finished level.</summary>
    public static string Summary(string target, LevelStatistics s) => string.Create(CultureInfo.InvariantCulture,
        $"{target}, concurrency {s.Concurrency}: {s.Completed} requests in {s.DurationS:F1} s, {s.OutputTokensPerS:F2} output tok/s, mean TTFT {s.MeanTtftMs:F0} ms, mean ITL {s.MeanItlMs:F0} ms");
}
