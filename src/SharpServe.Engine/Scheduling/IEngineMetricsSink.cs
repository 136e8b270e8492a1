using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// Receives per-request latencies in seconds, with the meanings of vLLM's histograms
/// (vllm:request_queue_time_seconds, vllm:time_to_first_token_seconds, vllm:inter_token_latency_seconds,
/// vllm:e2e_request_latency_seconds) and one <see cref="RequestFinished"/> per request that ended with a
/// finish reason (aborted requests report none). Called on the engine thread between steps, so an
/// implementation must be quick and must not throw: an exception there stops the engine like a failed step.
/// </summary>
public interface IEngineMetricsSink
{
    /// <summary>Arrival to the first step that scheduled the request.</summary>
    void ObserveQueueTime(double seconds);

    /// <summary>Arrival to the first generated token.</summary>
    void ObserveTimeToFirstToken(double seconds);

    /// <summary>Between two consecutive generated tokens of one request.</summary>
    void ObserveInterTokenLatency(double seconds);

    /// <summary>Arrival to the output carrying the finish reason.</summary>
    void ObserveEndToEndLatency(double seconds);

    void RequestFinished(FinishReason reason);
}

/// <summary>The default sink: an engine without metrics pays only for the timestamps.</summary>
public sealed class NullEngineMetricsSink : IEngineMetricsSink
{
    public static NullEngineMetricsSink Instance { get; } = new();

    private NullEngineMetricsSink()
    {
    }

    public void ObserveQueueTime(double seconds)
    {
    }

    public void ObserveTimeToFirstToken(double seconds)
    {
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
}
