using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;

namespace SharpServe.Cli.Tests;

/// <summary>
/// Q6_K GGUF weights through the CLI: <c>create-model --dtype q6_k</c> (rows of whole 256-value super-blocks, so a
/// --config with hidden and intermediate sizes that are multiples of 256), <c>generate</c> and <c>serve --quantization q6_k</c>.
/// </summary>
public sealed class Q6_KCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-q6k-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CreateModel_WritesQ6_KMatrices_AndGenerateRuns()
    {
        string model = CreateQ6K();
        using (var checkpoint = ModelLoader.Load(model))
        {
            // llama.cpp's layout: matrices in the file type, 1-D norms and biases in F32.
            Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(t.Shape.Length == 1 ? TensorDType.F32 : TensorDType.Q6_K, t.Type));
        }

        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello, world", "--max-tokens", "8", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("generated 8 tokens", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateModel_RefusesQ6_KForTheTinyPresetsHiddenSizeOf64()
    {
        string path = Path.Combine(_folder, "tiny-q6k.gguf");
        var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "q6_k", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Q6_K stores rows in blocks of 256 values: hidden_size 64", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Serve_QuantizationOtherThanTheFiles_ExitsOneWithTheReason()
    {
        var result = CliRunner.Run(
            "serve", "--model", CreateQ6K(), "--host", "127.0.0.1", "--port", ServeProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", "--quantization", "q4_0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the checkpoint is q6_k", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithQuantizationQ6_K_ServesAQ6_KFile()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(
        [
            "serve", "--model", CreateQ6K(), "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", "--quantization", "q6_k",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3, ignore_eos = true });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("\"completion_tokens\":3", body, StringComparison.Ordinal);
    }

    private string CreateQ6K()
    {
        string path = Path.Combine(_folder, "q6k.gguf");
        if (!File.Exists(path))
        {
            string config = Path.Combine(_folder, "config.json");
            File.WriteAllText(config, (ModelPresets.Tiny with { HiddenSize = 256, IntermediateSize = 512 }).ToJson());
            var result = CliRunner.Run("create-model", "--config", config, "--format", "gguf", "--dtype", "q6_k", "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("Q6_K", result.Stdout, StringComparison.Ordinal);
        }

        return path;
    }
}
