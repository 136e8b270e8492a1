using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Metrics;

/// <summary>
/// <see cref="EngineStats"/> as vLLM's gauges and counters. The engine's counters are already cumulative, so
/// they are exported as they are: a counter's value is its total since start.
/// </summary>
public static class EngineStatsMetrics
{
    public static void Write(PrometheusTextWriter writer, EngineStats stats)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(stats);
        Metric("vllm:num_requests_running", "gauge", "Requests being computed", stats.Running);
        Metric("vllm:num_requests_waiting", "gauge", "Requests waiting to be scheduled", stats.Waiting);
        Metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage: 1 means every block is in use", stats.KvUsagePercent / 100.0); // a fraction, as vLLM reports it
        Metric("vllm:prompt_tokens_total", "counter", "Prompt tokens received", stats.PromptTokens);
        Metric("vllm:generation_tokens_total", "counter", "Tokens generated", stats.GenerationTokens);

        // vLLM's prometheus_client appends _total to every counter on the wire; these are the names dashboards query.
        Metric("vllm:prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache", stats.PrefixQueries);
        Metric("vllm:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache", stats.PrefixHits);
        Metric("vllm:num_preemptions_total", "counter", "Sequences preempted to free KV blocks", stats.Preemptions);

        void Metric(string name, string type, string help, double value)
        {
            writer.Family(name, type, help);
            writer.Sample(name, value);
        }
    }
}
