using System.Globalization;
using SharpServe.Cli.Benchmarks;

namespace SharpServe.Bench;

/// <summary>SharpServe and llama.cpp side by side per concurrency level, with SharpServe ÷ llama.cpp ratios.</summary>
public static class ComparisonTable
{
    public static IEnumerable<string> Lines(IReadOnlyList<LevelStatistics> ours, IReadOnlyList<LevelStatistics> theirs)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(theirs);
        yield return "| concurrency | SharpServe out tok/s | llama.cpp out tok/s | ratio (higher is better) | SharpServe vs its c=1 | llama.cpp vs its c=1 | SharpServe mean TTFT ms | llama.cpp mean TTFT ms | ratio (lower is better) | SharpServe mean ITL ms | llama.cpp mean ITL ms | ratio (lower is better) |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|---|";
        for (int i = 0; i < ours.Count; i++)
        {
            LevelStatistics a = ours[i], b = theirs[i];
            yield return string.Create(CultureInfo.InvariantCulture,
                $"| {a.Concurrency} | {a.OutputTokensPerS:F2} | {b.OutputTokensPerS:F2} | **{a.OutputTokensPerS / b.OutputTokensPerS:F2}×** | {Scaling(ours, a)} | {Scaling(theirs, b)} | {a.MeanTtftMs:F0} | {b.MeanTtftMs:F0} | {a.MeanTtftMs / b.MeanTtftMs:F2}× | {a.MeanItlMs:F1} | {b.MeanItlMs:F1} | {a.MeanItlMs / b.MeanItlMs:F2}× |");
        }
    }

    /// <summary>Throughput relative to the same target at concurrency 1, when that level was run.</summary>
    private static string Scaling(IReadOnlyList<LevelStatistics> levels, LevelStatistics level) =>
        levels.FirstOrDefault(l => l.Concurrency == 1) is { } single
            ? string.Create(CultureInfo.InvariantCulture, $"{level.OutputTokensPerS / single.OutputTokensPerS:F2}×")
            : "n/a";
}
