using Microsoft.AspNetCore.Http;
using Prometheus;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// The gateway's Prometheus metrics, in a registry of its own (several gateways may share a process, e.g. tests).
/// Health and in-flight gauges are read from the upstream states at each scrape; under the supervisor, so are each
/// instance's restarts and PSS. The process collectors describe the gateway's own process (the supervisor's, in a fleet).
/// </summary>
public sealed class GatewayMetrics
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Counter _retries;
    private readonly Counter _rejected;
    private readonly Histogram _latency;

    /// <param name="processes">The supervisor's view of its instances; null in front of remote URLs (no fleet series then).</param>
    public GatewayMetrics(IReadOnlyList<UpstreamState> upstreams, IInstanceProcesses? processes = null)
    {
        DotNetStats.Register(_registry);
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("sharpserve_gateway_requests_total", "Requests forwarded, by upstream and response status code (error: no response).",
            new CounterConfiguration { LabelNames = ["upstream", "code"] });
        _retries = factory.CreateCounter("sharpserve_gateway_retries_total", "Requests that failed on this upstream before a response started and were retried elsewhere.",
            new CounterConfiguration { LabelNames = ["upstream"] });
        _rejected = factory.CreateCounter("sharpserve_gateway_rejected_total", "Requests the gateway answered itself without forwarding, by reason.",
            new CounterConfiguration { LabelNames = ["reason"] });
        _latency = factory.CreateHistogram("sharpserve_gateway_upstream_latency_seconds", "Time from forwarding to the upstream's response headers.",
            new HistogramConfiguration { LabelNames = ["upstream"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Gauge healthy = factory.CreateGauge("sharpserve_gateway_upstream_healthy", "1 when the upstream is healthy (routable), else 0.",
            new GaugeConfiguration { LabelNames = ["upstream"] });
        Gauge inFlight = factory.CreateGauge("sharpserve_gateway_upstream_in_flight", "Requests in flight to the upstream through this gateway.",
            new GaugeConfiguration { LabelNames = ["upstream"] });
        _registry.AddBeforeCollectCallback(() =>
        {
            foreach (UpstreamState upstream in upstreams)
            {
                healthy.WithLabels(upstream.Id).Set(upstream.IsHealthy ? 1 : 0);
                inFlight.WithLabels(upstream.Id).Set(upstream.InFlight);
            }
        });
        if (processes is not null)
        {
            AddInstanceProcessMetrics(factory, processes);
        }
    }

    public void Request(UpstreamState upstream, string code) => _requests.WithLabels(upstream.Id, code).Inc();

    public void Retry(UpstreamState upstream) => _retries.WithLabels(upstream.Id).Inc();

    /// <param name="reason">no_upstream, rate_limited, unauthorized, unknown_model or body_too_large.</param>
    public void Rejected(string reason) => _rejected.WithLabels(reason).Inc();

    public void Latency(UpstreamState upstream, TimeSpan elapsed) => _latency.WithLabels(upstream.Id).Observe(elapsed.TotalSeconds);

    private void AddInstanceProcessMetrics(MetricFactory factory, IInstanceProcesses processes)
    {
        Counter restarts = factory.CreateCounter("sharpserve_fleet_instance_restarts_total", "Times the supervisor restarted the instance since the fleet started.",
            new CounterConfiguration { LabelNames = ["upstream"] });
        Gauge pss = factory.CreateGauge("sharpserve_fleet_instance_pss_bytes", "Proportional set size of the instance's process (shared weight pages count 1/n in each of n).",
            new GaugeConfiguration { LabelNames = ["upstream"] });
        _registry.AddBeforeCollectCallback(() =>
        {
            foreach (InstanceProcessStatus instance in processes.Snapshot())
            {
                // The supervisor's count only grows, so raising the counter to it keeps Prometheus's counter semantics.
                restarts.WithLabels(instance.UpstreamId).IncTo(instance.Restarts);
                if (instance.PssBytes is { } bytes)
                {
                    pss.WithLabels(instance.UpstreamId).Set(bytes);
                }
                else
                {
                    // No process (waiting to restart): no sample, rather than the dead process's last value.
                    pss.RemoveLabelled(instance.UpstreamId);
                }
            }
        });
    }

    public async Task WriteAsync(HttpResponse response)
    {
        response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await _registry.CollectAndExportAsTextAsync(response.Body, response.HttpContext.RequestAborted);
    }
}
