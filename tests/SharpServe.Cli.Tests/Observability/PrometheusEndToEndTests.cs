using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SharpServe.Cli.Tests.Fleet;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;

namespace SharpServe.Cli.Tests.Observability;

/// <summary>
/// The real Prometheus, configured by the shipped deploy/prometheus.yml (only ports and interval rewritten), scraping a
/// real <c>sharpserve fleet</c> of two instances: every vLLM series and the gateway's are stored, the counters move
/// under streaming load, and every query of deploy/grafana/sharpserve.json is accepted and answers with data.
/// </summary>
public sealed class PrometheusEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const string Instances = "job=\"sharpserve-instances\"";
    private const string Gateway = "job=\"sharpserve-gateway\"";
    private const string ServedModelName = "tiny";

    // The dashboard's $__rate_interval: Grafana makes it at least four scrape intervals; this covers the whole load.
    private const string RateInterval = "1m";

    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(45);

    // DESIGN.md §5, as vLLM's prometheus_client writes them on the wire (counters end in _total).
    private static readonly string[] VllmSeries =
    [
        "vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
        "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:request_success_total",
        "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total", "vllm:num_preemptions_total",
        .. Histogram("vllm:time_to_first_token_seconds"), .. Histogram("vllm:inter_token_latency_seconds"),
        .. Histogram("vllm:e2e_request_latency_seconds"), .. Histogram("vllm:request_queue_time_seconds"),
        "process_cpu_seconds_total", "process_working_set_bytes",
    ];

    // Counters that every request moves on the instance that served it.
    private static readonly string[] VllmCountersUnderLoad =
    [
        "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:request_success_total", "vllm:prefix_cache_queries_total",
        "vllm:prefix_cache_hits_total", "vllm:time_to_first_token_seconds_count", "vllm:inter_token_latency_seconds_count",
        "vllm:e2e_request_latency_seconds_count", "vllm:request_queue_time_seconds_count", "process_cpu_seconds_total",
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-prometheus-e2e-").FullName;
    private readonly int _gatewayPort = ServeProcess.FreePort();
    private readonly int _portA = ServeProcess.FreePort();
    private readonly int _portB = ServeProcess.FreePort();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Prometheus_scrapes_the_fleet_series_move_under_load_and_every_dashboard_query_answers()
    {
        var clock = Stopwatch.StartNew();
        using var fleet = new FleetProcess(
            "--model", TinyModelFile.In(_folder), "--instances", "2", "--host", "127.0.0.1", "--port", Text(_gatewayPort),
            "--instance-port", Text(_portA), "--instance-port", Text(_portB), "--log-dir", Path.Combine(_folder, "logs"),
            "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64", "--served-model-name", ServedModelName);
        using var prometheus = await PrometheusServer.StartAsync(ShippedConfigFor(_gatewayPort, _portA, _portB), PhaseTimeout);
        await fleet.WaitForReadyAsync(2);

        string[] instances = [Invariant($"127.0.0.1:{_portA}"), Invariant($"127.0.0.1:{_portB}")];
        await prometheus.WaitUntilAsync(
            async () => (await prometheus.TargetHealthAsync()) is { Count: 3 } targets && targets.Values.All(health => health == "up"),
            "all three targets up", PhaseTimeout);
        await prometheus.WaitUntilAsync(
            async () => (await prometheus.QueryAsync(Invariant($"sharpserve_gateway_upstream_healthy{{{Gateway}}} == 1"))).Count == 2, "both upstreams healthy", PhaseTimeout);
        var before = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (string counter in VllmCountersUnderLoad)
        {
            before[counter] = await PerInstanceAsync(prometheus, Invariant($"sum by (instance) ({counter}{{{Instances}}})"));
        }

        output.WriteLine(Invariant($"fleet and Prometheus up after {clock.Elapsed.TotalSeconds:F1} s"));

        // A request for a model nobody serves: the gateway answers it itself, which the rejection series counts.
        using var client = new HttpClient { BaseAddress = new Uri(Invariant($"http://127.0.0.1:{_gatewayPort}")), Timeout = TimeSpan.FromSeconds(60) };
        using (var unknown = await client.PostAsJsonAsync("/v1/chat/completions", Chat("no-such-model", stream: false)))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // Streaming load through the gateway for the rest of the checks, as a dashboard is watched under traffic.
        using var stopLoad = new CancellationTokenSource();
        Task<int>[] load = [.. Enumerable.Range(0, 4).Select(_ => StreamUntilAsync(client, stopLoad.Token))];
        try
        {
            await prometheus.WaitUntilAsync(
                async () => (await PerInstanceAsync(prometheus, Invariant($"max by (instance) (max_over_time(vllm:num_requests_running{{{Instances}}}[{RateInterval}]))")))
                    .Count(pair => pair.Value > 0) == 2,
                "vllm:num_requests_running > 0 on both instances", PhaseTimeout);

            // Counters moved on both instances (waiting out the next scrape).
            foreach (string counter in VllmCountersUnderLoad)
            {
                await prometheus.WaitUntilAsync(
                    async () =>
                    {
                        var after = await PerInstanceAsync(prometheus, Invariant($"sum by (instance) ({counter}{{{Instances}}})"));
                        return instances.All(instance => after.GetValueOrDefault(instance) > before[counter].GetValueOrDefault(instance));
                    },
                    Invariant($"{counter} increased on both instances"), PhaseTimeout);
            }

            await AssertMaxOverLoadAsync(prometheus, Invariant($"vllm:kv_cache_usage_perc{{{Instances}}}"), instances);
            // The gateway counts a stream when it ends and Prometheus sees it a scrape later: retried until it holds.
            await EventuallyAsync(() => AssertGatewaySeriesAsync(prometheus));

            // Every vLLM series (and the process collectors) is stored for both instances.
            foreach (string series in VllmSeries)
            {
                var present = await PerInstanceAsync(prometheus, Invariant($"count by (instance) ({series}{{{Instances},model_name=~\"{ServedModelName}|\"}})"));
                Assert.True(instances.All(present.ContainsKey), $"{series}: Prometheus has it for [{string.Join(", ", present.Keys)}], not both of [{string.Join(", ", instances)}]");
            }

            await AssertDashboardQueriesAnswerAsync(prometheus);
        }
        finally
        {
            await stopLoad.CancelAsync();
        }

        int streamed = (await Task.WhenAll(load)).Sum();
        output.WriteLine(Invariant($"{streamed} streaming chats completed; load ended after {clock.Elapsed.TotalSeconds:F1} s"));
        Assert.True(streamed >= 2, Invariant($"only {streamed} streaming chats completed"));
        output.WriteLine(Invariant($"done in {clock.Elapsed.TotalSeconds:F1} s"));
    }

    /// <summary>deploy/prometheus.yml as shipped, with its ports and scrape interval replaced (each exactly once, so a changed file fails here).</summary>
    private static string ShippedConfigFor(int gateway, int a, int b)
    {
        string shipped = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "prometheus.yml"));
        string config = shipped;
        foreach (var (from, to) in new[]
        {
            ("\"127.0.0.1:8000\"", Invariant($"\"127.0.0.1:{gateway}\"")),
            ("\"127.0.0.1:8001\"", Invariant($"\"127.0.0.1:{a}\"")),
            ("\"127.0.0.1:8002\"", Invariant($"\"127.0.0.1:{b}\"")),
            ("scrape_interval: 5s", "scrape_interval: 1s"),
            ("evaluation_interval: 5s", "evaluation_interval: 1s"),
        })
        {
            int count = config.Split(from).Length - 1;
            Assert.True(count == 1, $"deploy/prometheus.yml should hold {from} once, holds it {count} times");
            config = config.Replace(from, to, StringComparison.Ordinal);
        }

        return config;
    }

    private async Task AssertGatewaySeriesAsync(PrometheusServer prometheus)
    {
        string[] upstreams = [Invariant($"instance-{_portA}"), Invariant($"instance-{_portB}")];
        foreach (string series in (string[])
        [
            "sharpserve_gateway_upstream_healthy", "sharpserve_gateway_upstream_in_flight", "sharpserve_gateway_requests_total",
            .. Histogram("sharpserve_gateway_upstream_latency_seconds"), "sharpserve_fleet_instance_restarts_total", "sharpserve_fleet_instance_pss_bytes",
        ])
        {
            var byUpstream = await PrometheusSeriesAsync(prometheus, Invariant($"sum by (upstream) ({series}{{{Gateway}}})"), "upstream");
            Assert.True(upstreams.All(byUpstream.ContainsKey), $"{series}: Prometheus has it for [{string.Join(", ", byUpstream.Keys)}], not both upstreams");
        }

        var ok = await PrometheusSeriesAsync(prometheus, Invariant($"sum by (upstream) (sharpserve_gateway_requests_total{{{Gateway},code=\"200\"}})"), "upstream");
        Assert.True(upstreams.All(upstream => ok.GetValueOrDefault(upstream) > 0), $"200s forwarded per upstream: {Describe(ok)}");
        var pss = await PrometheusSeriesAsync(prometheus, Invariant($"sharpserve_fleet_instance_pss_bytes{{{Gateway}}}"), "upstream");
        Assert.True(upstreams.All(upstream => pss.GetValueOrDefault(upstream) > 1_000_000), $"PSS per instance: {Describe(pss)}");
        var restarts = await PrometheusSeriesAsync(prometheus, Invariant($"sharpserve_fleet_instance_restarts_total{{{Gateway}}}"), "upstream");
        Assert.True(upstreams.All(upstream => restarts.GetValueOrDefault(upstream, -1) == 0), $"restarts per instance: {Describe(restarts)}");
        var rejected = await PrometheusSeriesAsync(prometheus, Invariant($"sharpserve_gateway_rejected_total{{{Gateway}}}"), "reason");
        Assert.True(rejected.GetValueOrDefault("unknown_model") >= 1, $"rejections: {Describe(rejected)}");
        foreach (string series in (string[])["process_cpu_seconds_total", "process_working_set_bytes"])
        {
            var value = await PrometheusSeriesAsync(prometheus, Invariant($"{series}{{{Gateway}}}"), "job");
            Assert.True(value.GetValueOrDefault("sharpserve-gateway") > 0, $"{series} of the gateway: {Describe(value)}");
        }
    }

    /// <summary>Each target expression of the dashboard: its metric names are stored series, Prometheus accepts it (a refusal fails at once), and it returns data.</summary>
    private async Task AssertDashboardQueriesAnswerAsync(PrometheusServer prometheus)
    {
        IReadOnlySet<string> stored = await prometheus.MetricNamesAsync();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "grafana", "sharpserve.json")));
        var exprs = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray().Select(target => (Panel: panel.GetProperty("title").GetString()!, Expr: target.GetProperty("expr").GetString()!)))
            .ToList();
        Assert.True(exprs.Count >= 20, Invariant($"the dashboard has {exprs.Count} queries"));
        foreach (var (panel, expr) in exprs)
        {
            IReadOnlyList<string> names = PromQlMetricNames.In(expr);
            Assert.True(names.Count > 0, $"{panel}: no metric name found in {expr}");
            Assert.True(names.All(stored.Contains), $"{panel}: {expr} uses [{string.Join(", ", names.Where(name => !stored.Contains(name)))}], which Prometheus never stored");

            string promql = expr.Replace("$__rate_interval", RateInterval, StringComparison.Ordinal);
            // A series the load created (a status code, a rejection reason) needs two scrapes before rate() has a value.
            await prometheus.WaitUntilAsync(async () => (await prometheus.QueryAsync(promql)).Count > 0, $"{panel}: {promql} returns data", PhaseTimeout);
        }

        output.WriteLine(Invariant($"{exprs.Count} dashboard queries over {exprs.SelectMany(e => PromQlMetricNames.In(e.Expr)).Distinct().Count()} metric names answered"));
    }

    /// <summary>Runs the assertions until they pass; after <see cref="PhaseTimeout"/> their last failure stands.</summary>
    private static async Task EventuallyAsync(Func<Task> assertions)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await assertions();
                return;
            }
            catch (Xunit.Sdk.XunitException) when (clock.Elapsed < PhaseTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private static async Task AssertMaxOverLoadAsync(PrometheusServer prometheus, string selector, string[] instances)
    {
        var max = await PerInstanceAsync(prometheus, Invariant($"max by (instance) (max_over_time({selector}[{RateInterval}]))"));
        Assert.True(instances.All(instance => max.GetValueOrDefault(instance) > 0), $"max of {selector} during the load: {Describe(max)}");
    }

    /// <summary>Streams chats one after another until asked to stop; the number that ended with [DONE].</summary>
    private static async Task<int> StreamUntilAsync(HttpClient client, CancellationToken stop)
    {
        int completed = 0;
        while (!stop.IsCancellationRequested)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat(ServedModelName, stream: true)) };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
            string body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            Assert.True(response.StatusCode == HttpStatusCode.OK, Invariant($"{(int)response.StatusCode}: {body}"));
            Assert.EndsWith("data: [DONE]", body.TrimEnd(), StringComparison.Ordinal);
            completed++;
        }

        return completed;
    }

    // The same long prompt each time: past the first request its full 16-token blocks are prefix-cache hits.
    private static Dictionary<string, object> Chat(string model, bool stream) => new()
    {
        ["model"] = model,
        ["messages"] = new[]
        {
            new Dictionary<string, string>
            {
                ["role"] = "user",
                ["content"] = "Tell me, in as many words as you like, everything you know about the history of the printing press in Europe and beyond.",
            },
        },
        ["max_tokens"] = 64,
        ["ignore_eos"] = true,
        ["stream"] = stream,
    };

    private static async Task<IReadOnlyDictionary<string, double>> PerInstanceAsync(PrometheusServer prometheus, string promql) =>
        await PrometheusSeriesAsync(prometheus, promql, "instance");

    private static async Task<IReadOnlyDictionary<string, double>> PrometheusSeriesAsync(PrometheusServer prometheus, string promql, string label) =>
        (await prometheus.QueryAsync(promql)).ToDictionary(sample => sample.Label(label), sample => sample.Value);

    private static string[] Histogram(string name) => [name + "_bucket", name + "_sum", name + "_count"];

    private static string Describe(IReadOnlyDictionary<string, double> values) =>
        string.Join(", ", values.Select(pair => Invariant($"{pair.Key}={pair.Value}")));

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
