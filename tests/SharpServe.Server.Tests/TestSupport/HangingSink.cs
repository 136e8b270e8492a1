using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Tests.TestSupport;

/// <summary>Blocks the engine thread at the first token until released: a hung step, as seen from outside.</summary>
public sealed class HangingSink : IEngineMetricsSink, IDisposable
{
    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    public void ObserveQueueTime(double seconds)
    {
    }

    public void ObserveTimeToFirstToken(double seconds)
    {
        Entered.Set();
        Release.Wait();
    }

    public void ObserveInterTokenLatency(double seconds)
    {
    }

    public void ObserveEndToEndLatency(double seconds)
    {
    }

    public void RequestFinished(FinishReason reason)
    {
    }

    public void Dispose()
    {
        Release.Set();
        Entered.Dispose();
        Release.Dispose();
    }
}
