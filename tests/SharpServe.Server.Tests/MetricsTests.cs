using SharpServe.Server.Tests.TestSupport;
using static SharpServe.Server.Tests.TestSupport.PrometheusText;

namespace SharpServe.Server.Tests;

/// <summary>GET /metrics: vLLM's names with model_name, counters that move by what the requests did, and nothing counted twice.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string Model = "model_name=\"tiny\"";
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Metrics_CountWhatTheRequestsDid()
    {
        int promptTokens = 0;
        foreach (string prompt in new[] { "Once upon a time", "The capital of France" })
        {
            var body = await (await _server.Client.PostJsonAsync("/v1/completions", new { prompt, max_tokens = 4, ignore_eos = true, temperature = 0 })).JsonAsync();
            promptTokens += body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        }

        string text = await _server.Client.GetStringAsync("/metrics");

        Assert.Equal(promptTokens, Value(text, "vllm:prompt_tokens_total", Model));
        Assert.Equal(8, Value(text, "vllm:generation_tokens_total", Model));
        Assert.Equal(2, Value(text, "vllm:request_success_total", Model, "finished_reason=\"length\""));
        Assert.Equal(2, Value(text, "vllm:e2e_request_latency_seconds_count", Model));
        Assert.Equal(2, Value(text, "vllm:time_to_first_token_seconds_count", Model));
        Assert.Equal(2, Value(text, "vllm:request_queue_time_seconds_count", Model));
        Assert.Equal(2 * 3, Value(text, "vllm:inter_token_latency_seconds_count", Model)); // gaps between 4 tokens
        Assert.Equal(0, Value(text, "vllm:num_requests_running", Model));
        Assert.Equal(0, Value(text, "vllm:num_requests_waiting", Model));
        Assert.InRange(Value(text, "vllm:kv_cache_usage_perc", Model), 0, 1);
        Assert.Equal(0, Value(text, "vllm:num_preemptions_total", Model));
        Assert.True(Value(text, "vllm:prefix_cache_queries_total", Model) >= Value(text, "vllm:prefix_cache_hits_total", Model));
        Assert.Contains(Samples(text, "http_requests_received_total"), sample => sample.Labels.Contains("endpoint=\"/v1/completions\"", StringComparison.Ordinal));
        Assert.NotEmpty(Samples(text, "process_working_set_bytes"));

        // A second scrape must not add the engine's cumulative totals again.
        string again = await _server.Client.GetStringAsync("/metrics");
        Assert.Equal(8, Value(again, "vllm:generation_tokens_total", Model));
        Assert.Equal(promptTokens, Value(again, "vllm:prompt_tokens_total", Model));
    }

    [Fact]
    public async Task Metrics_ReportTheResidentWeightBytesOfTheServedModel()
    {
        string text = await _server.Client.GetStringAsync("/metrics");

        Assert.True(_server.Model.ResidentWeightBytes > 0);
        Assert.Equal(_server.Model.ResidentWeightBytes, Value(text, "sharpserve_model_weights_resident_bytes", Model));
        Assert.Contains("# TYPE sharpserve_model_weights_resident_bytes gauge", text, StringComparison.Ordinal);
    }
}
