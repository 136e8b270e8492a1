using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace SharpServe.Cli.Tests;

/// <summary><c>serve --quantization int8</c> on a float checkpoint, and quantized GGUF files with and without the flag.</summary>
public sealed class Int8CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-int8-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Serve_WithQuantizationInt8_QuantizesABf16ModelAndAnswers()
    {
        string model = Create("hf", "bf16");
        using var server = await StartServer(model, "--quantization", "int8");

        Assert.Contains("(int8 from bf16, source ", server.Output, StringComparison.Ordinal);
        await AssertCompletes(server);
    }

    [Fact]
    public void Serve_WithQuantizationInt8_RefusesAQ8_0File()
    {
        var result = CliRunner.Run(ServeArgs(Create("gguf", "q8_0"), ServeProcess.FreePort(), "--quantization", "int8"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("already quantized", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The help promises "default: whatever the file holds": no flag must not mean "none" for a quantized file.</summary>
    [Fact]
    public async Task Serve_WithoutQuantization_ServesAQ8_0FileAsStored()
    {
        string model = Create("gguf", "q8_0");
        using var server = await StartServer(model);

        await AssertCompletes(server);
    }

    /// <summary>bench engine shares serve's --quantization: int8 runs the bf16 model as Q8_0 and says so in the table and the JSON.</summary>
    [Fact]
    public void BenchEngine_WithQuantizationInt8_RunsABf16ModelQuantizedAtLoad()
    {
        string model = Create("hf", "bf16");
        string json = Path.Combine(_folder, "bench.json");
        var result = CliRunner.Run("bench", "engine", "--model", model, "--quantization", "int8", "--num-prompts", "2", "--input-len", "8",
            "--output-len", "2", "--concurrency", "1", "--warmup", "0", "--threads", "1", "--output-json", json);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("(int8 from bf16, source ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("-hf (int8 at load), input 8", result.Stdout, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("int8", report.RootElement.GetProperty("settings").GetProperty("quantization").GetString());
    }

    /// <summary>
    /// generate shares the flag too. An f32 model quantized at load holds the bytes of create-model's Q8_0 GGUF of the
    /// same seed (Int8QuantizationTests), so greedy text must match that file's, token for token.
    /// </summary>
    [Fact]
    public void Generate_WithQuantizationInt8_WritesWhatTheQ8_0FileOfTheSameModelWrites()
    {
        string[] greedy = ["--prompt", "Hello, world", "--max-tokens", "12", "--ignore-eos", "--temperature", "0", "--threads", "1"];
        var int8 = CliRunner.Run(["generate", "--model", Create("hf", "f32"), "--quantization", "int8", .. greedy]);
        var q8 = CliRunner.Run(["generate", "--model", Create("gguf", "q8_0"), .. greedy]);

        Assert.True(int8.ExitCode == 0, int8.Stderr);
        Assert.True(q8.ExitCode == 0, q8.Stderr);
        Assert.Contains("(int8 from f32, source ", int8.Stderr, StringComparison.Ordinal);
        Assert.Equal(q8.Stdout, int8.Stdout);
    }

    [Fact]
    public void BenchEngine_WithAStoredQuantizationTheFileLacks_IsRefused()
    {
        var result = CliRunner.Run("bench", "engine", "--model", Create("hf", "bf16"), "--quantization", "q4_0", "--num-prompts", "1",
            "--input-len", "8", "--output-len", "2", "--concurrency", "1", "--threads", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: --quantization q4_0: the checkpoint is not quantized", result.Stderr, StringComparison.Ordinal);
    }

    private static async Task<ServeProcess> StartServer(string model, params string[] extra) =>
        await ServeProcess.StartAsync(ServeArgs(model, ServeProcess.FreePort(), extra));

    private static string[] ServeArgs(string model, int port, params string[] extra) =>
    [
        "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
        "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", .. extra,
    ];

    private static async Task AssertCompletes(ServeProcess server)
    {
        string url = ServeUrl(server.Output);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(1) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3, ignore_eos = true });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("\"completion_tokens\":3", body, StringComparison.Ordinal);
    }

    /// <summary>The URL from the startup line ("Application startup complete. Listening on URL").</summary>
    private static string ServeUrl(string output)
    {
        const string marker = ServeProcess.StartupPhrase + ". Listening on ";
        string line = output.Split('\n').First(l => l.Contains(marker, StringComparison.Ordinal));
        return line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Trim();
    }

    private string Create(string format, string dtype)
    {
        string path = Path.Combine(_folder, format == "gguf" ? $"{dtype}.gguf" : $"{dtype}-hf");
        if (!Path.Exists(path))
        {
            var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", format, "--dtype", dtype, "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        return path;
    }
}
