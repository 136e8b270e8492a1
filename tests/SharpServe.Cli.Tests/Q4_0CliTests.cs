using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Tests;

/// <summary>Q4_0 GGUF weights through the CLI: <c>create-model --dtype q4_0</c>, <c>generate</c> on the file, and <c>serve --quantization</c>.</summary>
public sealed class Q4_0CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-q4-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CreateModel_WritesQ4_0Matrices_AndGenerateStreamsTheEnginesGreedyContinuation()
    {
        string model = CreateQ4();
        using (var checkpoint = ModelLoader.Load(model))
        {
            // llama.cpp's layout: matrices in the file type, 1-D norms and biases in F32.
            Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(t.Shape.Length == 1 ? TensorDType.F32 : TensorDType.Q4_0, t.Type));
        }

        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello, world", "--max-tokens", "8", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("generated 8 tokens", result.Stderr, StringComparison.Ordinal);

        using var loaded = LoadedModel.Open(model, threads: 2);
        int[] prompt = loaded.Tokenizer!.Encode("Hello, world", addSpecialTokens: true);
        var runner = new ModelRunner(loaded.Model, new KvCachePool(loaded.Config, 2));
        var sequence = new SequenceState();
        var generated = new List<int>();
        float[] logits = runner.Step([new BatchEntry(sequence, prompt)], allPositions: false);
        for (int i = 0; i < 8; i++)
        {
            generated.Add(Engine.Sampling.Greedy.ArgMax(logits));
            logits = runner.Step([new BatchEntry(sequence, [generated[^1]])], allPositions: false);
        }

        Assert.Equal(loaded.Tokenizer.Decode(generated, skipSpecialTokens: false) + "\n", result.Stdout);
    }

    [Fact]
    public void CreateModel_RefusesQ4_0ForSafetensors()
    {
        string path = Path.Combine(_folder, "hf");
        var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "hf", "--dtype", "q4_0", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Q4_0 is a GGUF type", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(path));
    }

    [Theory]
    [InlineData("q8_0", "the checkpoint is q4_0")]
    [InlineData("none", "the checkpoint is q4_0")]
    public void Serve_QuantizationOtherThanTheFiles_ExitsOneWithTheReason(string quantization, string reason)
    {
        var result = CliRunner.Run(
            "serve", "--model", CreateQ4(), "--host", "127.0.0.1", "--port", ServeProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", "--quantization", quantization);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithQuantizationQ4_0_ServesAQ4_0File()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(
        [
            "serve", "--model", CreateQ4(), "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--kv-cache-memory", "8MiB", "--quantization", "q4_0",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello", max_tokens = 3, ignore_eos = true });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Contains("\"completion_tokens\":3", body, StringComparison.Ordinal);
    }

    private string CreateQ4()
    {
        string path = Path.Combine(_folder, "q4.gguf");
        if (!File.Exists(path))
        {
            var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "q4_0", "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("Q4_0", result.Stdout, StringComparison.Ordinal);
        }

        return path;
    }
}
