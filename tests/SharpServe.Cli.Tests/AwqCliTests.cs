using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;

namespace SharpServe.Cli.Tests;

/// <summary>
/// AutoAWQ checkpoints through the CLI: <c>create-model --format hf --dtype awq</c> (group size 128, so a --config with
/// sizes that are multiples of 128), <c>generate</c>, and <c>serve</c> with and without <c>--quantization awq</c>.
/// </summary>
public sealed class AwqCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-awq-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CreateModel_WritesAnAwqDirectory_AndGenerateRuns()
    {
        string model = CreateAwq();
        Assert.Contains("\"quant_method\": \"awq\"", File.ReadAllText(Path.Combine(model, "config.json")), StringComparison.Ordinal);
        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello, world", "--max-tokens", "8", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("generated 8 tokens", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateModel_RefusesAwqAsGguf()
    {
        var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "awq", "--out", Path.Combine(_folder, "x.gguf"), "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("use --format hf", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Serve_ServesAnAwqCheckpoint_WithOrWithoutTheFlag(bool flag)
    {
        int port = ServeProcess.FreePort();
        string[] args =
        [
            "serve", "--model", CreateAwq(), "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB",
        ];
        using var server = await ServeProcess.StartAsync(flag ? [.. args, "--quantization", "awq"] : args);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3, ignore_eos = true });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("\"completion_tokens\":3", body, StringComparison.Ordinal);
    }

    private string CreateAwq()
    {
        string path = Path.Combine(_folder, "awq");
        if (!Directory.Exists(path))
        {
            string config = Path.Combine(_folder, "config.json");
            File.WriteAllText(config, (ModelPresets.Tiny with { HiddenSize = 128, IntermediateSize = 256 }).ToJson());
            var result = CliRunner.Run("create-model", "--config", config, "--format", "hf", "--dtype", "awq", "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        return path;
    }
}
