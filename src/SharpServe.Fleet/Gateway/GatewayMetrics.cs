using Microsoft.AspNetCore.Http;
using Prometheus;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// The gateway's Prometheus metrics, in a registry of its own (several gateways may share a process, e.g. tests).
/// Health and in-flight gauges are read from the upstream states at each scrape.
/// </summary>
public sealed class GatewayMetrics
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Counter _retries;
    private readonly Counter _rejected;
    private readonly Histogram _latency;

    public GatewayMetrics(IReadOnlyList<UpstreamState> upstreams)
    {
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
    }

    public void Request(UpstreamState upstream, string code) => _requests.WithLabels(upstream.Id, code).Inc();

    public void Retry(UpstreamState upstream) => _retries.WithLabels(upstream.Id).Inc();

    /// <param name="reason">no_upstream, rate_limited, unauthorized, unknown_model or body_too_large.</param>
    public void Rejected(string reason) => _rejected.WithLabels(reason).Inc();

    public void Latency(UpstreamState upstream, TimeSpan elapsed) => _latency.WithLabels(upstream.Id).Observe(elapsed.TotalSeconds);

    public async Task WriteAsync(HttpResponse response)
    {
        response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await _registry.CollectAndExportAsTextAsync(response.Body, response.HttpContext.RequestAborted);
    }
}
