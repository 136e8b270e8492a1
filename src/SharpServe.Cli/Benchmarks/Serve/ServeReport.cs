using System.Globalization;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>The text report: vLLM's "Serving Benchmark Result" block per run, and a table row per level of a sweep.</summary>
public static class ServeReport
{
    public static IEnumerable<string> Block(ServeLevelResult result, double requestRate)
    {
        ArgumentNullException.ThrowIfNull(result);
        yield return Title("Serving Benchmark Result", '=');
        yield return Row("Successful requests:", result.Completed.ToString(CultureInfo.InvariantCulture));
        yield return Row("Failed requests:", result.Failed.ToString(CultureInfo.InvariantCulture));
        yield return Row("Maximum request concurrency:", result.MaxConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "unlimited");
        yield return Row("Request rate configured (RPS):", double.IsPositiveInfinity(requestRate) ? "inf" : Number(requestRate));
        yield return Row("Benchmark duration (s):", Number(result.DurationS));
        yield return Row("Total input tokens:", result.TotalInputTokens.ToString(CultureInfo.InvariantCulture));
        yield return Row("Total generated tokens:", result.TotalOutputTokens.ToString(CultureInfo.InvariantCulture));
        yield return Row("Request throughput (req/s):", Number(result.RequestThroughput));
        yield return Row("Output token throughput (tok/s):", Number(result.OutputThroughput));
        yield return Row("Total token throughput (tok/s):", Number(result.TotalTokenThroughput));
        foreach (string line in Latency("Time to First Token", "TTFT", result.Ttft)
                     .Concat(Latency("Time per Output Token (excl. 1st token)", "TPOT", result.Tpot))
                     .Concat(Latency("Inter-token Latency", "ITL", result.Itl))
                     .Concat(Latency("End-to-end Latency", "E2EL", result.E2el)))
        {
            yield return line;
        }

        yield return new string('=', 50);
        foreach (string error in result.Errors)
        {
            yield return $"error: {error}";
        }
    }

    /// <summary>One row per concurrency level of a sweep.</summary>
    public static IEnumerable<string> SweepTable(IReadOnlyList<ServeLevelResult> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        yield return $"{"conc",5} {"ok",5} {"fail",5} {"req/s",8} {"out tok/s",10} {"TTFT p50",9} {"TTFT p99",9} {"TPOT p50",9} {"ITL p50",9} {"E2EL p50",9} {"E2EL p99",9}  (ms)";
        foreach (ServeLevelResult l in levels)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{l.MaxConcurrency,5} {l.Completed,5} {l.Failed,5} {l.RequestThroughput,8:F2} {l.OutputThroughput,10:F2} {l.Ttft.MedianMs,9:F1} {l.Ttft.P99Ms,9:F1} {l.Tpot.MedianMs,9:F1} {l.Itl.MedianMs,9:F1} {l.E2el.MedianMs,9:F1} {l.E2el.P99Ms,9:F1}");
        }
    }

    private static IEnumerable<string> Latency(string title, string name, LatencySummary summary)
    {
        yield return Title(title, '-');
        yield return Row($"Mean {name} (ms):", Number(summary.MeanMs));
        yield return Row($"Median {name} (ms):", Number(summary.MedianMs));
        yield return Row($"P90 {name} (ms):", Number(summary.P90Ms));
        yield return Row($"P99 {name} (ms):", Number(summary.P99Ms));
    }

    private static string Title(string text, char fill)
    {
        int left = (50 - text.Length - 2) / 2;
        int right = 50 - text.Length - 2 - left;
        return $"{new string(fill, Math.Max(left, 0))} {text} {new string(fill, Math.Max(right, 0))}";
    }

    private static string Row(string label, string value) => $"{label,-40}{value}";

    private static string Number(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
