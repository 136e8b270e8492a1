using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace SharpServe.Cli.Tests;

/// <summary><c>sharpserve serve</c>'s startup checks of its flags, its log file and its SIGTERM drain, on a child process.</summary>
public sealed class ServeLifecycleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-life-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--dtype", "bfloat16", "float32")]
    [InlineData("--quantization", "q8_0", "not quantized")]
    [InlineData("--quantization", "awq", "the checkpoint is not quantized")]
    [InlineData("--quantization", "gptq", "not supported yet (issue 8)")]
    [InlineData("--reasoning-parser", "qwen3", "deepseek_r1")]
    public void Serve_WithAFlagTheWeightsOrServerCannotHonour_ExitsOneWithTheReason(string flag, string value, string reason)
    {
        var result = CliRunner.Run(ServeArgs(ServeProcess.FreePort(), flag, value));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithALogFile_WritesTheLogThere()
    {
        string log = Path.Combine(_folder, "serve.log");
        using var server = await ServeProcess.StartAsync(ServeArgs(ServeProcess.FreePort(), "--log-file", log, "--dtype", "float32"));

        Assert.Contains(ServeProcess.StartupPhrase, await File.ReadAllTextAsync(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_LetsTheStreamInFlightFinish_RefusesNewWork_AndExitsZero()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(ServeArgs(port, "--max-num-batched-tokens", "1", "--drain-timeout", "60"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };

        // One prompt token per step: the prefill is slow enough to still be running when SIGTERM arrives.
        string prompt = string.Join(' ', Enumerable.Repeat("history of the world", 30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(new { prompt, max_tokens = 4, stream = true }) };
        using var stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        server.Terminate();
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        bool refused;
        try
        {
            using var fresh = new HttpClient { BaseAddress = http.BaseAddress };
            refused = (await fresh.GetAsync("/v1/models")).StatusCode == HttpStatusCode.ServiceUnavailable;
        }
        catch (HttpRequestException)
        {
            refused = true; // Kestrel has stopped accepting connections
        }

        string body = await stream.Content.ReadAsStringAsync();
        Assert.True(refused, "a request during the drain was served");
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromMinutes(1)));
    }

    private string[] ServeArgs(int port, params string[] extra) =>
    [
        "serve", "--model", TinyModelFile.In(_folder), "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
        "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", .. extra,
    ];
}
