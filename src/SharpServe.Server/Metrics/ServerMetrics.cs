using Microsoft.AspNetCore.Http;
using Prometheus;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Hosting;

namespace SharpServe.Server.Metrics;

/// <summary>
/// GET /metrics: vLLM's engine metrics labelled with model_name, then prometheus-net's HTTP request counts and
/// process collectors. One registry per server, so two servers in one process never mix their numbers.
/// </summary>
public sealed class ServerMetrics
{
    public const string ResidentWeightBytesName = "sharpserve_model_weights_resident_bytes";

    private readonly string _modelLabel;
    private readonly RequestMetricsSink _requests = new();

    public ServerMetrics(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        _modelLabel = PrometheusTextWriter.Label("model_name", modelName);
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
    }

    /// <summary>Where prometheus-net's HTTP middleware records.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Give this to the engine (<c>LlmEngine.Create(..., metrics:)</c>) so the latency histograms fill.</summary>
    public IEngineMetricsSink Requests => _requests;

    /// <param name="served">Null while the model is loading: there is no engine or weights to report on yet.</param>
    public async Task WriteAsync(HttpResponse response, ServedModel? served)
    {
        ArgumentNullException.ThrowIfNull(response);
        var vllm = new PrometheusTextWriter(_modelLabel);
        if (served is not null)
        {
            EngineStatsMetrics.Write(vllm, served.Engine.Stats);

            // What the kernels read (mapped file pages and converted copies): int8 shows here as ~53 % of bf16.
            vllm.Family(ResidentWeightBytesName, "gauge", "Bytes of model weights the engine keeps resident (mapped and converted tensors)");
            vllm.Sample(ResidentWeightBytesName, served.Model.ResidentWeightBytes);
        }

        _requests.Write(vllm);
        response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await response.WriteAsync(vllm.ToString(), response.HttpContext.RequestAborted);
        await Registry.CollectAndExportAsTextAsync(response.Body, response.HttpContext.RequestAborted);
    }
}
