namespace SharpServe.Cli.Benchmarks;

/// <summary>Exact order statistics over recorded samples (the benchmark records at most thousands).</summary>
public static class Percentiles
{
    /// <summary>
    /// The <paramref name="percent"/>th percentile with linear interpolation between closest ranks,
    /// numpy's default, which vLLM's benchmark reports; NaN for no samples.
    /// </summary>
    public static double Of(IEnumerable<double> samples, double percent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        double[] sorted = [.. samples.Order()];
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        double rank = percent / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((rank - below) * (sorted[above] - sorted[below]));
    }
}
