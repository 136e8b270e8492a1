using HdrHistogram;

namespace SharpServe.Fleet.Gateway.History;

/// <summary>
/// Latencies of the requests completed since the last <see cref="Take"/>, in an HdrHistogram interval recorder
/// (lock-free writers from the request threads; the sampler swaps the histogram out each interval).
/// </summary>
public sealed class LatencyWindow
{
    // Microseconds, up to an hour (longer requests are recorded as an hour), to 3 significant digits.
    private const long HighestMicroseconds = 3_600_000_000;

    private readonly Recorder _recorder = new(1, HighestMicroseconds, 3,
        (id, lowest, highest, digits) => new LongHistogram(id, lowest, highest, digits));

    public void Record(TimeSpan elapsed) =>
        _recorder.RecordValue(Math.Clamp((long)elapsed.TotalMicroseconds, 1, HighestMicroseconds));

    /// <summary>The requests recorded since the previous call, and their median and 99th percentile.</summary>
    public LatencySummary Take()
    {
        HistogramBase interval = _recorder.GetIntervalHistogram();
        return interval.TotalCount == 0
            ? new LatencySummary(0, null, null)
            : new LatencySummary(interval.TotalCount, Milliseconds(interval.GetValueAtPercentile(50)), Milliseconds(interval.GetValueAtPercentile(99)));
    }

    private static double Milliseconds(long microseconds) => microseconds / 1000.0;
}

/// <param name="Count">Requests completed in the interval.</param>
public sealed record LatencySummary(long Count, double? P50Milliseconds, double? P99Milliseconds);
