using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

/// <summary><c>sharpserve bench serve</c> through the built CLI against a real <c>sharpserve serve</c> on the tiny model.</summary>
public sealed class BenchServeCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-bench-serve-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_run_against_sharpserve_serve_reports_every_request_and_writes_json_and_png()
    {
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync("serve", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--threads", "1");
        string json = Path.Combine(_folder, "r.json");
        string png = Path.Combine(_folder, "p.png");

        var single = CliRunner.Run(
            "bench", "serve", "--base-url", $"http://127.0.0.1:{port}", "--num-prompts", "8", "--max-concurrency", "2",
            "--random-input-len", "32", "--random-output-len", "16", "--ignore-eos", "--result-file", json, "--plot", png);

        Assert.True(single.ExitCode == 0, single.Stderr + single.Stdout);
        Assert.Contains("Serving Benchmark Result", single.Stdout, StringComparison.Ordinal);
        using (JsonDocument result = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal("sharpserve-tiny", result.RootElement.GetProperty("model").GetString());
            JsonElement level = Assert.Single(result.RootElement.GetProperty("levels").EnumerateArray());
            Assert.Equal(8, level.GetProperty("completed").GetInt32());
            Assert.Equal(0, level.GetProperty("failed").GetInt32());
            Assert.Equal(128, level.GetProperty("total_output_tokens").GetInt32()); // 8 × 16: ignore_eos reached the server
            Assert.True(level.GetProperty("total_input_tokens").GetInt32() >= 8 * 32, "32 words make at least 32 tokens each");
            Assert.Equal(2, level.GetProperty("max_concurrency").GetInt32());
            Assert.True(level.GetProperty("ttft").GetProperty("median_ms").GetDouble() > 0);
        }

        AssertPng(png);

        string sweepJson = Path.Combine(_folder, "sweep.json");
        string sweepPng = Path.Combine(_folder, "sweep.png");
        var sweep = CliRunner.Run(
            "bench", "serve", "--base-url", $"http://127.0.0.1:{port}", "--endpoint", "/v1/chat/completions", "--num-prompts", "4",
            "--sweep-concurrency", "1,2", "--random-input-len", "16", "--random-output-len", "8", "--ignore-eos", "--request-rate", "40",
            "--result-file", sweepJson, "--plot", sweepPng);

        Assert.True(sweep.ExitCode == 0, sweep.Stderr + sweep.Stdout);
        using (JsonDocument result = JsonDocument.Parse(File.ReadAllText(sweepJson)))
        {
            JsonElement[] levels = [.. result.RootElement.GetProperty("levels").EnumerateArray()];
            Assert.Equal([1, 2], levels.Select(l => l.GetProperty("max_concurrency").GetInt32()));
            Assert.All(levels, l => Assert.Equal(32, l.GetProperty("total_output_tokens").GetInt32()));
        }

        AssertPng(sweepPng);
    }

    [Fact]
    public void A_bad_dataset_file_is_a_clear_error_before_any_request()
    {
        string path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, "{ not json");

        var result = CliRunner.Run(
            "bench", "serve", "--base-url", $"http://127.0.0.1:{ServeProcess.FreePort()}", "--model", "m",
            "--dataset-name", "sharegpt", "--dataset-path", path, "--num-prompts", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: --dataset-path", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_a_clear_error()
    {
        var result = CliRunner.Run("bench", "serve", "--base-url", $"http://127.0.0.1:{ServeProcess.FreePort()}", "--num-prompts", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: could not list the models", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--request-rate", "fast", "--request-rate must be a positive number or inf")]
    [InlineData("--sweep-concurrency", "1,x", "--sweep-concurrency: 'x' is not a positive integer")]
    [InlineData("--random-range-ratio", "1.5", "--random-range-ratio must be in [0, 1)")]
    [InlineData("--dataset-name", "sonnet", "--dataset-name must be random, sharegpt or prefix-repetition")]
    public void Bad_flags_are_clear_errors(string flag, string value, string message)
    {
        var result = CliRunner.Run("bench", "serve", "--base-url", "http://127.0.0.1:9", "--model", "m", flag, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The PNG signature and a non-empty IHDR: a real image, not an empty or partial file.</summary>
    private static void AssertPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.True(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)) > 0);
        Assert.True(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)) > 0);
    }
}
