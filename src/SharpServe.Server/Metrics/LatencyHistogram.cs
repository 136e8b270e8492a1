namespace SharpServe.Server.Metrics;

/// <summary>A Prometheus histogram: observed on the engine thread, exported by scrapes on others.</summary>
public sealed class LatencyHistogram(string name, string help, double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1]; // per bucket, the last for +Inf; made cumulative on export
    private readonly Lock _gate = new();
    private double _sum;

    public void Observe(double seconds)
    {
        int bucket = Array.FindIndex(bounds, bound => seconds <= bound);
        lock (_gate)
        {
            _counts[bucket < 0 ? bounds.Length : bucket]++;
            _sum += seconds;
        }
    }

    public void Write(PrometheusTextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long[] counts;
        double sum;
        lock (_gate)
        {
            counts = [.. _counts];
            sum = _sum;
        }

        writer.Family(name, "histogram", help);
        long cumulative = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            cumulative += counts[i];
            double bound = i < bounds.Length ? bounds[i] : double.PositiveInfinity;
            writer.Sample($"{name}_bucket", cumulative, PrometheusTextWriter.Label("le", bound == double.PositiveInfinity ? "+Inf" : bound.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        }

        writer.Sample($"{name}_sum", sum);
        writer.Sample($"{name}_count", cumulative);
    }
}
