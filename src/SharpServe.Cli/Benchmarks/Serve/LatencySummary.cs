using HdrHistogram;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// Mean, median, P90 and P99 of a latency in milliseconds. The percentiles come from an HdrHistogram at
/// microsecond resolution with 3 significant digits (within 0.1 % of the exact order statistic); the mean
/// is exact. All NaN when there are no samples.
/// </summary>
public sealed record LatencySummary(double MeanMs, double MedianMs, double P90Ms, double P99Ms)
{
    /// <summary>An hour, in microseconds: no benchmark request waits longer.</summary>
    private const long HighestMicroseconds = 3_600_000_000;

    public static LatencySummary From(IReadOnlyCollection<double> samplesMs)
    {
        ArgumentNullException.ThrowIfNull(samplesMs);
        if (samplesMs.Count == 0)
        {
            return new LatencySummary(double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var histogram = new LongHistogram(HighestMicroseconds, 3);
        foreach (double ms in samplesMs)
        {
            histogram.RecordValue(Math.Clamp((long)Math.Round(ms * 1000), 0, HighestMicroseconds));
        }

        return new LatencySummary(samplesMs.Average(), Ms(histogram, 50), Ms(histogram, 90), Ms(histogram, 99));
    }

    private static double Ms(LongHistogram histogram, double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
}
