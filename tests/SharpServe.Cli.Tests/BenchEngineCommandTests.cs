using System.Text.Json;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Tests;

/// <summary><c>sharpserve bench engine</c> end to end on the embedded default (tiny) model.</summary>
public sealed class BenchEngineCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-bench-").FullName;

    public BenchEngineCommandTests()
    {
        // The default model is created on first use from the cached tokenizer; seed the tests' cache with
        // the shared copy (same sha256) so that creation needs no network.
        string tokenizer = Path.Combine(CliRunner.CacheDirectory, "tokenizers", TokenizerLocator.CacheFileName);
        if (!File.Exists(tokenizer))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tokenizer)!);
            File.Copy(CliRunner.SharedTokenizerJson, tokenizer, overwrite: true);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReportsEveryLevel_WithAllRequestsAndTokens_AndSensibleLatencies()
    {
        string json = Path.Combine(_folder, "bench.json");
        var result = CliRunner.Run("bench", "engine", "--num-prompts", "6", "--input-len", "8", "--output-len", "4", "--concurrency", "1,3", "--threads", "1", "--output-json", json);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("| concurrency | completed |", result.Stdout);
        Assert.Matches(@"\n\| 3 \| 6 \| ", result.Stdout);

        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(6, report.RootElement.GetProperty("settings").GetProperty("num_prompts").GetInt32());
        JsonElement target = Assert.Single(report.RootElement.GetProperty("targets").EnumerateArray());
        Assert.Equal("sharpserve", target.GetProperty("target").GetString());
        JsonElement[] levels = [.. target.GetProperty("levels").EnumerateArray()];
        Assert.Equal([1, 3], levels.Select(level => level.GetProperty("concurrency").GetInt32()));
        foreach (JsonElement level in levels)
        {
            double Get(string name) => level.GetProperty(name).GetDouble();
            Assert.Equal(6, Get("completed"));
            Assert.Equal(6 * 4, Get("output_tokens"));
            Assert.Equal(6 * 8, Get("input_tokens"));
            Assert.Equal(Get("output_tokens") / Get("duration_s"), Get("output_tokens_per_s"), precision: 6);
            Assert.Equal((6 * 8 + 6 * 4) / Get("duration_s"), Get("total_tokens_per_s"), precision: 6);
            Assert.True(Get("mean_ttft_ms") > 0 && Get("mean_itl_ms") > 0, level.ToString());
            Assert.True(Get("median_ttft_ms") <= Get("p99_ttft_ms") && Get("median_itl_ms") <= Get("p99_itl_ms"), level.ToString());
            // Every request's first token and gaps fall inside the level's wall time.
            Assert.True(Get("p99_ttft_ms") <= Get("duration_s") * 1000 && Get("p99_itl_ms") <= Get("duration_s") * 1000, level.ToString());
        }
    }

    [Theory]
    [InlineData("--concurrency", "1,0", "--concurrency")]
    [InlineData("--concurrency", "2,x", "--concurrency")]
    [InlineData("--num-prompts", "0", "--num-prompts")]
    [InlineData("--max-model-len", "5", "--max-model-len")]
    [InlineData("--kv-cache-memory", "lots", "--kv-cache-memory")]
    [InlineData("--memory-utilization", "1.5", "--memory-utilization")]
    [InlineData("--kv-cache-dtype", "fp8", "--kv-cache-dtype")]
    [InlineData("--quantization", "fp4", "--quantization")]
    public void BadFlag_GetsOneClearErrorLine_AndExitCode1(string flag, string value, string named)
    {
        var result = CliRunner.Run("bench", "engine", "--input-len", "8", "--output-len", "4", flag, value);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains(named, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
