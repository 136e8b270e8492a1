using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Engine.Loading;
using SharpServe.Fleet.Memory;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Two <c>sharpserve serve --quantization int8</c> processes on one bf16 model: the first quantizes it into the
/// cache, the second maps that file, and the page cache holds it once (as <see cref="SharedWeightsTests"/> shows
/// for a model file).
/// </summary>
public sealed class SharedInt8WeightsTests : IDisposable
{
    // SharedWeightsTests' model in bf16: the 151,936-token tied embedding dominates (156 MB of bf16, 83 MB of Q8_0),
    // and it is also the LM head, so one decode step reads every byte of the cache file's largest tensor.
    private const string ConfigJson = """
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 512, "intermediate_size": 1536,
         "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 151936,
         "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true,
         "bos_token_id": 151643, "eos_token_id": 151643}
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-shared-int8-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Two_int8_instances_map_one_cache_file_and_hold_it_once()
    {
        string model = CreateModel();
        var servers = new List<(ServeProcess Server, int Port)>();
        try
        {
            // One after the other: the first builds the cache file, the second must only map it.
            servers.Add(await StartServer(model));
            servers.Add(await StartServer(model));
            Assert.Contains("quantized now", servers[0].Server.Output, StringComparison.Ordinal);
            Assert.Contains("from the cache", servers[1].Server.Output, StringComparison.Ordinal);
            await Task.WhenAll(servers.Select(s => CompleteOnceAsync(s.Port)));

            string cacheFile = QuantizedWeightCache.CacheFile(model, Path.Combine(CliRunner.CacheDirectory, "quantized"));
            long cacheBytes = new FileInfo(cacheFile).Length;
            var memory = new ProcessMemory();
            var readings = servers
                .Select(s => (Usage: memory.ReadUsage(s.Server.ProcessId), FilePss: memory.ReadFilePss(s.Server.ProcessId, cacheFile)))
                .ToList();
            string table = string.Join('\n', readings.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"Pss {r.Usage?.PssBytes} Pss_Anon {r.Usage?.PssAnonBytes} Pss_File {r.Usage?.PssFileBytes} cache file Pss {r.FilePss}")));
            Assert.All(readings, r => Assert.True(r.Usage is not null && r.FilePss is not null, $"a server exited or does not map {cacheFile}:\n{table}"));

            // The page cache holds the cache file once: the two shares add up to at most the file, and at least half
            // of it, so both really read the weights through the map.
            long totalFilePss = readings.Sum(r => r.FilePss!.Value);
            Assert.True(totalFilePss <= cacheBytes * 1.1, $"cache file PSS over 2 instances is {totalFilePss} bytes, file is {cacheBytes}:\n{table}");
            Assert.True(totalFilePss >= cacheBytes / 2, $"cache file PSS over 2 instances is only {totalFilePss} bytes of {cacheBytes}:\n{table}");

            // Each maps the file rather than reading it: both are charged about half of it.
            Assert.All(readings, r => Assert.True(r.FilePss!.Value <= cacheBytes * 0.75, $"one instance is charged most of the cache file:\n{table}"));
        }
        finally
        {
            servers.ForEach(s => s.Server.Dispose());
        }
    }

    private string CreateModel()
    {
        string config = Path.Combine(_folder, "config.json");
        string model = Path.Combine(_folder, "shared-bf16");
        File.WriteAllText(config, ConfigJson);
        var result = CliRunner.Run(
            "create-model", "--config", config, "--format", "hf", "--dtype", "bf16", "--seed", "1", "--out", model, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    private static async Task<(ServeProcess Server, int Port)> StartServer(string model)
    {
        int port = ServeProcess.FreePort();
        var server = await ServeProcess.StartAsync(
            "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--quantization", "int8",
            "--kv-cache-memory", "16MiB", "--max-num-batched-tokens", "64", "--max-num-seqs", "4", "--max-model-len", "512");
        return (server, port);
    }

    /// <summary>One short completion, so every layer and the LM head are read once.</summary>
    private static async Task CompleteOnceAsync(int port)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello there", max_tokens = 2 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
