namespace SharpServe.Fleet.Gateway.History;

/// <summary>Per-second rate of a Prometheus counter between two scrapes.</summary>
public static class CounterRate
{
    /// <returns>
    /// Null when either reading is missing (instance down, scrape failed) or no time passed. A counter that went
    /// down was reset (the instance restarted and counts from 0), so its whole current value is the increase, as
    /// Prometheus's rate() reads it — never a negative rate.
    /// </returns>
    public static double? PerSecond(double? previous, double? current, TimeSpan elapsed)
    {
        if (previous is not { } before || current is not { } now || elapsed <= TimeSpan.Zero)
        {
            return null;
        }

        double increase = now >= before ? now - before : now;
        return increase / elapsed.TotalSeconds;
    }
}
