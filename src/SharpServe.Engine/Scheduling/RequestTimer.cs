using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// One request's timestamps, turned into <see cref="IEngineMetricsSink"/> observations as the engine
/// thread reaches each milestone. Arrival is taken at submission, so queue time includes the wait in
/// the engine's inbox, as vLLM's does.
/// </summary>
internal sealed class RequestTimer(TimeProvider time, IEngineMetricsSink sink)
{
    private readonly long _arrival = time.GetTimestamp();
    private bool _scheduled;
    private long? _lastToken;

    /// <summary>Observes the queue time on the first call only: rescheduling after preemption is not queueing from arrival.</summary>
    public void Scheduled()
    {
        if (!_scheduled)
        {
            _scheduled = true;
            sink.ObserveQueueTime(Since(_arrival, time.GetTimestamp()));
        }
    }

    public void Token()
    {
        long now = time.GetTimestamp();
        if (_lastToken is { } last)
        {
            sink.ObserveInterTokenLatency(Since(last, now));
        }
        else
        {
            sink.ObserveTimeToFirstToken(Since(_arrival, now));
        }

        _lastToken = now;
    }

    public void Finished(FinishReason reason)
    {
        sink.ObserveEndToEndLatency(Since(_arrival, time.GetTimestamp()));
        sink.RequestFinished(reason);
    }

    private double Since(long start, long end) => time.GetElapsedTime(start, end).TotalSeconds;
}
