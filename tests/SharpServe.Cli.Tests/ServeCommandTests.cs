using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SharpServe.Cli.Tests;

/// <summary><c>sharpserve serve</c> started the way the seed starts vLLM: flags in, log watched, HTTP probed.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-serve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Serve_ReportsStartupAndAnswersHealth()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(ServeArgs(TinyModelFile.In(_folder), port, "--kv-cache-memory", "8MiB", "--served-model-name", "tiny", "r1"));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        string models = await http.GetStringAsync("/v1/models");
        Assert.Contains("\"id\":\"r1\"", models, StringComparison.Ordinal);
        Assert.Contains("KV cache:", server.Output, StringComparison.Ordinal);
        Assert.Contains("Device: ", server.Output, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{port}", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ListensBeforeLoading_AndPrintsHowToTalkToIt()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(ServeArgs(TinyModelFile.In(_folder), port, "--kv-cache-memory", "8MiB", "--served-model-name", "tiny", "--api-key", "secret-key"));

        await server.WaitForOutputAsync("sharpserve chat --base-url", TimeSpan.FromSeconds(30));
        string output = server.Output;
        int listening = output.IndexOf("Listening on", StringComparison.Ordinal);
        int loaded = output.IndexOf("Loaded ", StringComparison.Ordinal);
        Assert.InRange(listening, 0, loaded);
        Assert.Contains($"curl http://127.0.0.1:{port}/v1/chat/completions", output, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"tiny\"", output, StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer $SHARPSERVE_API_KEY", output, StringComparison.Ordinal);
        Assert.Contains($"sharpserve chat --base-url http://127.0.0.1:{port}/v1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_WithAMissingModel_ExitsOneWithOneErrorLine()
    {
        string missing = Path.Combine(_folder, "missing");
        var result = CliRunner.Run(ServeArgs(missing, ServeProcess.FreePort()));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Serve_OnAPortInUse_FailsWithOneLineAndNoStackTrace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = CliRunner.Run(ServeArgs(TinyModelFile.In(_folder), port, "--kv-cache-memory", "8MiB"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("address already in use", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Loaded ", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_WithTensorParallelism_IsRefusedWithAReason()
    {
        var result = CliRunner.Run("serve", "--tensor-parallel-size", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--tensor-parallel-size 2", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_WithAnUnknownDevice_IsRefusedListingTheChoices()
    {
        var result = CliRunner.Run("serve", "--device", "tpu");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--device tpu: expected one of auto, cpu, cuda", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_OnCuda_WithoutADriver_FailsNamingWhatIsMissing()
    {
        if (SharpServe.Engine.Cuda.CudaDriver.Probe().Usable)
        {
            return; // a machine with a card: the device check covers serve there
        }

        var result = CliRunner.Run(ServeArgs(TinyModelFile.In(_folder), ServeProcess.FreePort(), "--kv-cache-memory", "8MiB", "--device", "cuda"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: --device cuda: no NVIDIA driver", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("libcuda.so.1", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_WithAKvBudgetTooSmall_FailsWithOneLine()
    {
        var result = CliRunner.Run(ServeArgs(TinyModelFile.In(_folder), ServeProcess.FreePort(), "--kv-cache-memory", "1KiB"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    private static string[] ServeArgs(string model, int port, params string[] extra) =>
    [
        "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
        "--max-model-len", "256", "--threads", "1", .. extra,
    ];
}
