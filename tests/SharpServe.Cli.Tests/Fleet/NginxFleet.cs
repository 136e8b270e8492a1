using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using SharpServe.Fleet.Tests.Nginx;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Two real <c>sharpserve serve</c> instances behind the real nginx, configured by <c>sharpserve fleet nginx-config --full</c>.
/// Dispose stops nginx (SIGQUIT, then SIGKILL of it and its workers) and kills the instances, also after a failed start.
/// </summary>
public sealed class NginxFleet : IDisposable
{
    public const string ServedModelName = "tiny";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder;
    private readonly List<ServeProcess?> _instances = [];
    private readonly StringBuilder _nginxOutput = new();
    private Process? _nginx;

    private NginxFleet(string folder) => _folder = folder;

    public int GatewayPort { get; private set; }

    public IReadOnlyList<int> InstancePorts { get; private set; } = [];

    public string Prefix => Path.Combine(_folder, "nginx");

    public string ErrorLog => File.Exists(Path.Combine(Prefix, "error.log")) ? File.ReadAllText(Path.Combine(Prefix, "error.log")) : "";

    public static async Task<NginxFleet> StartAsync()
    {
        string nginx = NginxBinary.Find();
        string folder = Directory.CreateTempSubdirectory("sharpserve-nginx-e2e-").FullName;

        // Started as root, nginx's workers run as nobody: they must reach their temp folders under the prefix (rwxr-xr-x).
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        var fleet = new NginxFleet(folder);
        try
        {
            await fleet.StartInstancesAndNginxAsync(nginx);
            return fleet;
        }
        catch
        {
            fleet.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL, as a crash: the instance's port then refuses connections.</summary>
    public void KillInstance(int index)
    {
        _instances[index]?.Dispose();
        _instances[index] = null;
    }

    public HttpClient Client() => new() { BaseAddress = new Uri(Invariant($"http://127.0.0.1:{GatewayPort}")), Timeout = TimeSpan.FromSeconds(60) };

    public HttpClient InstanceClient(int index) => new() { BaseAddress = new Uri(Invariant($"http://127.0.0.1:{InstancePorts[index]}")), Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose()
    {
        if (_nginx is not null)
        {
            StopNginx(_nginx);
            _nginx.Dispose();
        }

        foreach (ServeProcess? instance in _instances)
        {
            instance?.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private async Task StartInstancesAndNginxAsync(string nginx)
    {
        string model = TinyModelFile.In(_folder);
        InstancePorts = [ServeProcess.FreePort(), ServeProcess.FreePort()];
        GatewayPort = ServeProcess.FreePort();
        foreach (int port in InstancePorts)
        {
            _instances.Add(await ServeProcess.StartAsync(
                "serve", "--model", model, "--host", "127.0.0.1", "--port", Invariant($"{port}"), "--max-model-len", "256", "--threads", "1",
                "--kv-cache-memory", "8MiB", "--served-model-name", ServedModelName));
        }

        string spec = Path.Combine(_folder, "fleet.json");
        File.WriteAllText(spec, Invariant($$"""
            { "model": "tiny.gguf", "engine": { "max_model_len": 256, "max_num_batched_tokens": 64 },
              "instances": [ { "port": {{InstancePorts[0]}}, "memory_fraction": 0.1 }, { "port": {{InstancePorts[1]}}, "memory_fraction": 0.1 } ],
              "gateway": { "listen": "127.0.0.1:{{GatewayPort}}" } }
            """));
        var config = CliRunner.Run("fleet", "nginx-config", spec, "--full", "--prefix", Prefix);
        Assert.True(config.ExitCode == 0, config.Stderr);

        var start = new ProcessStartInfo(nginx) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["-p", Prefix, "-c", Path.Combine(Prefix, "nginx.conf"), "-e", "stderr", "-g", "daemon off;"])
        {
            start.ArgumentList.Add(arg);
        }

        _nginx = new Process { StartInfo = start };
        _nginx.OutputDataReceived += (_, e) => Record(e.Data);
        _nginx.ErrorDataReceived += (_, e) => Record(e.Data);
        _nginx.Start();
        _nginx.BeginOutputReadLine();
        _nginx.BeginErrorReadLine();
        await WaitUntilNginxAnswersAsync(_nginx);
    }

    /// <summary>Polls /health through nginx (an instance's answer) until 200, nginx exits, or the deadline.</summary>
    private async Task WaitUntilNginxAnswersAsync(Process nginx)
    {
        using var client = Client();
        client.Timeout = TimeSpan.FromSeconds(5);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (nginx.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {nginx.ExitCode}:\n{NginxOutput()}\n{ErrorLog}");
            }

            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        throw new TimeoutException($"nginx did not answer /health with 200 within {StartTimeout}:\n{NginxOutput()}\n{ErrorLog}");
    }

    /// <summary>SIGQUIT is nginx's graceful stop; its workers are killed with it if it does not stop in time.</summary>
    private static void StopNginx(Process nginx)
    {
        if (nginx.HasExited)
        {
            return;
        }

        using (var quit = Process.Start("kill", ["-QUIT", nginx.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            quit.WaitForExit();
        }

        if (!nginx.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            nginx.Kill(entireProcessTree: true);
            nginx.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    private string NginxOutput()
    {
        lock (_nginxOutput)
        {
            return _nginxOutput.ToString();
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_nginxOutput)
            {
                _nginxOutput.AppendLine(line);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
