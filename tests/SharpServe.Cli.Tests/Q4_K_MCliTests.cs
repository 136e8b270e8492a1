using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;

namespace SharpServe.Cli.Tests;

/// <summary>
/// llama.cpp's Q4_K_M mix through the CLI: <c>create-model --dtype q4_k_m</c> (Q4_K matrices, Q6_K where
/// llama-quantize puts them; a --config with hidden and intermediate sizes that are multiples of 256), <c>generate</c>
/// and <c>serve --quantization q4_k</c>.
/// </summary>
public sealed class Q4_K_MCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-q4km-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CreateModel_WritesTheQ4_K_MMix_AndGenerateRuns()
    {
        string model = CreateQ4KM();
        using (var checkpoint = ModelLoader.Load(model))
        {
            // Matrices are Q4_K, with Q6_K where llama-quantize puts it (the per-tensor rules: Q4KMediumMixTests).
            var types = checkpoint.Tensors.Values.Where(t => t.Shape.Length == 2).Select(t => t.Type).ToHashSet();
            Assert.True(types.SetEquals([TensorDType.Q4_K, TensorDType.Q6_K]), string.Join(", ", types));
            Assert.All(checkpoint.Tensors.Values.Where(t => t.Shape.Length == 1), t => Assert.Equal(TensorDType.F32, t.Type));
        }

        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello, world", "--max-tokens", "8", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("generated 8 tokens", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateModel_RefusesQ4_K_MForTheTinyPresetsHiddenSizeOf64()
    {
        string path = Path.Combine(_folder, "tiny-q4km.gguf");
        var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "q4_k_m", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Q4_K stores rows in blocks of 256 values: hidden_size 64", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Serve_WithQuantizationQ4_K_ServesAQ4_K_MFile()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(
        [
            "serve", "--model", CreateQ4KM(), "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", "--quantization", "q4_k",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3, ignore_eos = true });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("\"completion_tokens\":3", body, StringComparison.Ordinal);
    }

    private string CreateQ4KM()
    {
        string path = Path.Combine(_folder, "q4km.gguf");
        if (!File.Exists(path))
        {
            string config = Path.Combine(_folder, "config.json");
            File.WriteAllText(config, (ModelPresets.Tiny with { HiddenSize = 256, IntermediateSize = 512 }).ToJson());
            var result = CliRunner.Run("create-model", "--config", config, "--format", "gguf", "--dtype", "q4_k_m", "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("Q4_K_M", result.Stdout, StringComparison.Ordinal);
        }

        return path;
    }
}
