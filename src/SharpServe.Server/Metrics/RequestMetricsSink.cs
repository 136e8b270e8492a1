using System.Collections.Concurrent;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Generation;

namespace SharpServe.Server.Metrics;

/// <summary>The engine's per-request observations as vLLM's histograms and its request_success counter.</summary>
public sealed class RequestMetricsSink : IEngineMetricsSink
{
    private readonly LatencyHistogram _queueTime = new("vllm:request_queue_time_seconds", "Time spent waiting in the queue, in seconds", VllmBuckets.RequestLatency);
    private readonly LatencyHistogram _timeToFirstToken = new("vllm:time_to_first_token_seconds", "Time to first token, in seconds", VllmBuckets.TimeToFirstToken);
    private readonly LatencyHistogram _interTokenLatency = new("vllm:inter_token_latency_seconds", "Time between consecutive output tokens, in seconds", VllmBuckets.InterTokenLatency);
    private readonly LatencyHistogram _endToEndLatency = new("vllm:e2e_request_latency_seconds", "End-to-end request latency, in seconds", VllmBuckets.RequestLatency);
    private readonly ConcurrentDictionary<string, long> _finished = new();

    public void ObserveQueueTime(double seconds) => _queueTime.Observe(seconds);

    public void ObserveTimeToFirstToken(double seconds) => _timeToFirstToken.Observe(seconds);

    public void ObserveInterTokenLatency(double seconds) => _interTokenLatency.Observe(seconds);

    public void ObserveEndToEndLatency(double seconds) => _endToEndLatency.Observe(seconds);

    public void RequestFinished(FinishReason reason) => _finished.AddOrUpdate(FinishReasons.Name(reason), 1, (_, count) => count + 1);

    public void Write(PrometheusTextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Family("vllm:request_success_total", "counter", "Requests that finished, by finish reason");
        foreach (FinishReason reason in Enum.GetValues<FinishReason>())
        {
            string name = FinishReasons.Name(reason);
            writer.Sample("vllm:request_success_total", _finished.GetValueOrDefault(name), PrometheusTextWriter.Label("finished_reason", name));
        }

        _queueTime.Write(writer);
        _timeToFirstToken.Write(writer);
        _interTokenLatency.Write(writer);
        _endToEndLatency.Write(writer);
    }
}
