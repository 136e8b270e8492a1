using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary><c>sharpserve fleet</c> running two real <c>serve</c> children of the tiny model on 127.0.0.1.</summary>
public sealed class FleetSupervisionTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-run-").FullName;
    private readonly int _gatewayPort = ServeProcess.FreePort();
    private readonly int _portA = ServeProcess.FreePort();
    private readonly int _portB = ServeProcess.FreePort();

    private string LogDir => Path.Combine(_folder, "logs");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TwoInstances_StartTogether_AnswerHealth_AndLogToTheirOwnFiles()
    {
        using var fleet = Start();
        await fleet.WaitForReadyAsync(2);

        Assert.Equal(HttpStatusCode.OK, await HealthAsync(_portA));
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(_portB));
        foreach (int port in new[] { _portA, _portB })
        {
            string log = ReadShared(Path.Combine(LogDir, $"instance_{port}.log"));
            Assert.Contains($"[supervisor] started pid {fleet.PidsOf(port)[0]} on port {port}", log, StringComparison.Ordinal);
            Assert.Contains($"{ServeProcess.StartupPhrase}. Listening on http://127.0.0.1:{port}/", log, StringComparison.Ordinal);
        }

        // No instance waits for another: both were started before either was ready.
        string output = fleet.Output;
        int lastStarted = Math.Max(output.IndexOf($"instance-{_portA}: started pid", StringComparison.Ordinal), output.IndexOf($"instance-{_portB}: started pid", StringComparison.Ordinal));
        Assert.True(lastStarted < output.IndexOf("answers /health 200", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task AKilledInstance_IsRestartedOnItsPort_AndTheLogSaysWhy()
    {
        using var fleet = Start();
        await fleet.WaitForReadyAsync(2);
        int first = fleet.PidsOf(_portA)[0];

        ParentDeath.Signal(first, FleetProcess.SigKill);

        await fleet.WaitForOutputAsync(text => fleet.PidsOf(_portA).Count == 2 && text.Contains($"ready: pid {fleet.PidsOf(_portA)[1]} answers", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        Assert.NotEqual(first, fleet.PidsOf(_portA)[1]);
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(_portA));
        Assert.Contains($"instance-{_portA}: restart 1 in 1 s: exited with SIGKILL", fleet.Output, StringComparison.Ordinal);
        Assert.Contains("[supervisor] restart 1 in 1 s: exited with SIGKILL", ReadShared(Path.Combine(LogDir, $"instance_{_portA}.log")), StringComparison.Ordinal);
        Assert.Single(fleet.PidsOf(_portB));
    }

    [Fact]
    public async Task Sigterm_StopsEveryInstance_AndTheSupervisorExitsZero()
    {
        using var fleet = Start();
        await fleet.WaitForReadyAsync(2);
        int[] children = [fleet.PidsOf(_portA)[0], fleet.PidsOf(_portB)[0]];

        ParentDeath.Signal(fleet.Pid, FleetProcess.SigTerm);

        Assert.Equal(0, await fleet.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.All(children, pid => Assert.False(FleetProcess.IsAlive(pid), $"instance pid {pid} outlived the supervisor"));
        Assert.Contains($"instance-{_portA}: pid {children[0]} exited with code 0", fleet.Output, StringComparison.Ordinal);
    }

    /// <summary>Only the kernel can act once the supervisor is SIGKILLed: this fails without serve's PR_SET_PDEATHSIG.</summary>
    [Fact]
    public async Task SigkillOfTheSupervisor_LeavesNoInstanceBehind()
    {
        using var fleet = Start();
        await fleet.WaitForReadyAsync(2);
        int[] children = [fleet.PidsOf(_portA)[0], fleet.PidsOf(_portB)[0]];

        ParentDeath.Signal(fleet.Pid, FleetProcess.SigKill);

        var clock = Stopwatch.StartNew();
        while (children.Any(FleetProcess.IsAlive) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.All(children, pid => Assert.False(FleetProcess.IsAlive(pid), $"instance pid {pid} outlived its SIGKILLed supervisor by 10 s"));
    }

    [Fact]
    public async Task Up_RunsAYamlSpec_WithTheModelAndTlsFilesBesideIt()
    {
        TinyModelFile.In(_folder);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(Path.Combine(_folder, "cert.pem"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(_folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        }

        string spec = Path.Combine(_folder, "fleet.yaml");
        File.WriteAllText(spec, $$"""
            model: tiny.gguf
            engine: { max_model_len: 256, max_num_batched_tokens: 64 }
            memory_ceiling: 0.04
            instances:
              - port: {{_portA}}
              - port: {{_portB}}
            gateway: { listen: "127.0.0.1:{{_gatewayPort}}", tls_certificate: cert.pem, tls_key: key.pem }
            log_dir: {{Path.Combine(_folder, "ignored")}}
            """);

        // The CLI runs in the test's folder, not the spec's: tiny.gguf, cert.pem and key.pem resolve beside the spec.
        using var fleet = new FleetProcess("up", spec, "--log-dir", LogDir);
        await fleet.WaitForReadyAsync(2);

        Assert.Equal(HttpStatusCode.OK, await HealthAsync(_portB));
        using var https = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { Timeout = TimeSpan.FromSeconds(10) };
        using (var gatewayHealth = await https.GetAsync(new Uri($"https://127.0.0.1:{_gatewayPort}/v1/models")))
        {
            Assert.Equal(HttpStatusCode.OK, gatewayHealth.StatusCode);
        }

        Assert.True(File.Exists(Path.Combine(LogDir, $"instance_{_portB}.log")));
        Assert.False(Directory.Exists(Path.Combine(_folder, "ignored")));
        ParentDeath.Signal(fleet.Pid, FleetProcess.SigTerm);
        Assert.Equal(0, await fleet.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private FleetProcess Start() => new(
        "--model", TinyModelFile.In(_folder), "--instances", "2", "--host", "127.0.0.1", "--port", Text(_gatewayPort),
        "--instance-port", Text(_portA), "--instance-port", Text(_portB), "--log-dir", LogDir,
        "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64");

    private static async Task<HttpStatusCode> HealthAsync(int port)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
        return response.StatusCode;
    }

    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    private static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
