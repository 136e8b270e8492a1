namespace SharpServe.Fleet.Gateway.History;

/// <summary>The samples of the last <see cref="Window"/>, oldest first; older ones are dropped as new ones come.</summary>
public sealed class FleetHistory(TimeSpan window)
{
    private readonly Queue<FleetSample> _samples = new();

    public TimeSpan Window { get; } = window;

    public void Add(FleetSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        long oldest = sample.UnixMilliseconds - (long)Window.TotalMilliseconds;
        lock (_samples)
        {
            _samples.Enqueue(sample);
            while (_samples.Peek().UnixMilliseconds < oldest)
            {
                _samples.Dequeue();
            }
        }
    }

    public IReadOnlyList<FleetSample> Snapshot()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }
}
