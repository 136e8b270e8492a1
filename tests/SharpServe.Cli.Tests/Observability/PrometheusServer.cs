using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SharpServe.Cli.Tests.Observability;

/// <summary>
/// The real Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1 with a config and a TSDB of its own, and its
/// HTTP query API. Dispose stops it (SIGTERM, then SIGKILL) and deletes its folder.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        _http = new HttpClient { BaseAddress = new Uri(Invariant($"http://127.0.0.1:{port}")), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Binary()
    {
        IEnumerable<string> folders = ["/usr/bin", .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)];
        string? found = folders.Select(folder => Path.Combine(folder, "prometheus")).FirstOrDefault(File.Exists);
        if (found is null)
        {
            Assert.Fail("prometheus is not installed (looked in /usr/bin and PATH): run `apt-get install --no-install-recommends prometheus`, as .ci/run does");
        }

        return found;
    }

    /// <summary>Starts Prometheus on this config text; it answers its API when this returns.</summary>
    public static async Task<PrometheusServer> StartAsync(string configYaml, TimeSpan timeout)
    {
        string binary = Binary();
        string folder = Directory.CreateTempSubdirectory("sharpserve-prometheus-").FullName;
        string config = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(config, configYaml);
        int port = ServeProcess.FreePort();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["--config.file", config, "--storage.tsdb.path", Path.Combine(folder, "data"), "--web.listen-address", Invariant($"127.0.0.1:{port}")])
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var server = new PrometheusServer(process, folder, port);
        process.OutputDataReceived += (_, e) => server.Record(e.Data);
        process.ErrorDataReceived += (_, e) => server.Record(e.Data);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await server.WaitUntilAsync(async () => (await server._http.GetAsync("/-/ready")).StatusCode == HttpStatusCode.OK, "Prometheus ready (/-/ready 200)", timeout);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Polls the condition (HTTP failures count as false) until it holds; fails with Prometheus's output if it exits or time runs out.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode} while waiting for {what}:\n{Output}");
            }

            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached in {timeout}: {what}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>GET /api/v1/targets: each active target's scrape URL and health ("up", "down", "unknown").</summary>
    public async Task<IReadOnlyDictionary<string, string>> TargetHealthAsync()
    {
        using JsonDocument json = await GetDataAsync("/api/v1/targets?state=active");
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .ToDictionary(target => target.GetProperty("scrapeUrl").GetString()!, target => target.GetProperty("health").GetString()!);
    }

    /// <summary>GET /api/v1/label/__name__/values: every metric name Prometheus has stored.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync()
    {
        using JsonDocument json = await GetDataAsync("/api/v1/label/__name__/values");
        return json.RootElement.GetProperty("data").EnumerateArray().Select(name => name.GetString()!).ToHashSet();
    }

    /// <summary>An instant query; fails the test, with Prometheus's error, unless its status is success.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string promql)
    {
        using JsonDocument json = await GetDataAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql), promql);
        JsonElement data = json.RootElement.GetProperty("data");
        Assert.True(data.GetProperty("resultType").GetString() == "vector", $"{promql}: result type {data.GetProperty("resultType")}, not vector");
        return data.GetProperty("result").EnumerateArray().Select(Sample.From).ToList();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets it close its TSDB; the folder is deleted anyway, so a stuck one is simply killed.
            SharpServe.Fleet.Supervision.ParentDeath.Signal(_process.Id, 15);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }

        _process.Dispose();
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<JsonDocument> GetDataAsync(string pathAndQuery, string? what = null)
    {
        using var response = await _http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(body);
        if (json.RootElement.GetProperty("status").GetString() != "success")
        {
            json.Dispose();
            Assert.Fail($"Prometheus refused {what ?? pathAndQuery}: {body}");
        }

        return json;
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One series of an instant vector: its labels (with __name__ when kept) and value.</summary>
    public sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value)
    {
        public static Sample From(JsonElement element) => new(
            element.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!),
            double.Parse(element.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));

        public string Label(string name) => Labels.TryGetValue(name, out string? value) ? value : "";
    }
}
