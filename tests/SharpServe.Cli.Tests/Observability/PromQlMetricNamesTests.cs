namespace SharpServe.Cli.Tests.Observability;

/// <summary>The dashboard check relies on this tokenizer finding every metric name and nothing else.</summary>
public class PromQlMetricNamesTests
{
    [Theory]
    [InlineData("up", "up")]
    [InlineData("vllm:num_requests_running{job=\"sharpserve-instances\"}", "vllm:num_requests_running")]
    [InlineData("sum by (instance) (vllm:num_requests_waiting{job=\"x\"})", "vllm:num_requests_waiting")]
    [InlineData("histogram_quantile(0.99, sum by (le, upstream) (rate(sharpserve_gateway_upstream_latency_seconds_bucket{job=\"g\"}[$__rate_interval])))",
        "sharpserve_gateway_upstream_latency_seconds_bucket")]
    [InlineData("sum(rate(a_total{code=~\"2..\",x='}'}[1m])) / sum(rate(b_total[5m] offset 1h))", "a_total b_total")]
    [InlineData("max without (foo, bar) (x) > bool 1e-3 and on (instance) group_left (job) y", "x y")]
    [InlineData("sum by(finished_reason)(rate(vllm:request_success_total[30s])) * 2.5", "vllm:request_success_total")]
    public void Finds_exactly_the_metric_names(string expr, string expected)
    {
        Assert.Equal(expected.Split(' '), PromQlMetricNames.In(expr));
    }
}
