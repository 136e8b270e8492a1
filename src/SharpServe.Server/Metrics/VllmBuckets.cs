namespace SharpServe.Server.Metrics;

/// <summary>vLLM's histogram bucket bounds (v1 PrometheusStatLogger), so dashboards built for vLLM read the same quantiles.</summary>
public static class VllmBuckets
{
    public static readonly double[] TimeToFirstToken =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    public static readonly double[] InterTokenLatency =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    /// <summary>Used by vLLM for both the end-to-end latency and the queue time.</summary>
    public static readonly double[] RequestLatency =
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
}
