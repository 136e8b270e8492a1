using System.Globalization;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// An instance's own load, from its vLLM-named /metrics: KV cache usage (0..1), sequences running and waiting, and its
/// generated-tokens counter (a total since it started; /fleet/history turns it into tokens/s).
/// </summary>
public sealed record InstanceLoad(double? KvCacheUsage, double? Running, double? Waiting, double? GenerationTokens)
{
    public static InstanceLoad Unknown { get; } = new(null, null, null, null);

    /// <summary>Reads the four families from Prometheus text, summing over label sets (one per served model name).</summary>
    public static InstanceLoad Parse(string metricsText)
    {
        double? kv = null, running = null, waiting = null, tokens = null;
        foreach (string line in metricsText.Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            kv = Add(kv, line, "vllm:kv_cache_usage_perc");
            running = Add(running, line, "vllm:num_requests_running");
            waiting = Add(waiting, line, "vllm:num_requests_waiting");
            tokens = Add(tokens, line, "vllm:generation_tokens_total");
        }

        return new InstanceLoad(kv, running, waiting, tokens);
    }

    private static double? Add(double? sum, string line, string name)
    {
        if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
        {
            return sum;
        }

        string value = line[(line.LastIndexOf(' ') + 1)..].Trim();
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? (sum ?? 0) + parsed : sum;
    }
}
