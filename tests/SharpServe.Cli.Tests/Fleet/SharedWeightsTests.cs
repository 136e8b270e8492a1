using System.Globalization;
using System.Net.Http.Json;
using SharpServe.Fleet.Memory;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Four real <c>sharpserve serve</c> processes on one model file hold its weights once: the page
/// cache has one copy, each process is charged about a quarter of it in PSS, and no process has a
/// private (anonymous) copy of the matrices.
/// </summary>
public sealed class SharedWeightsTests : IDisposable
{
    private const int Instances = 4;

    // 4 layers, hidden 512, and the real 151,936-token vocabulary as a tied f32 embedding: a 365 MB
    // file (311 MB of it the embedding) that create-model writes in about a second. The embedding is
    // also the LM head, so one decode step reads every byte of it. A server's own anonymous memory
    // is about 55 MB with the small KV cache and batch below, so a private copy of the weights
    // (365 MB more) would push Pss_Anon far over half the weight bytes.
    private const string ConfigJson = """
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 512, "intermediate_size": 1536,
         "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 151936,
         "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true,
         "bos_token_id": 151643, "eos_token_id": 151643}
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-shared-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Four_instances_of_one_model_hold_its_weights_once()
    {
        string model = CreateModel();
        long fileBytes = new FileInfo(model).Length;
        var starts = Enumerable.Range(0, Instances).Select(_ => StartServer(model)).ToList();
        try
        {
            var servers = await Task.WhenAll(starts);
            await Task.WhenAll(servers.Select(s => CompleteOnceAsync(s.Port)));

            var memory = new ProcessMemory();
            var readings = servers
                .Select(s => (Usage: memory.ReadUsage(s.Server.ProcessId), FilePss: memory.ReadFilePss(s.Server.ProcessId, model)))
                .ToList();
            string table = string.Join('\n', readings.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"Pss {r.Usage?.PssBytes} Pss_Anon {r.Usage?.PssAnonBytes} Pss_File {r.Usage?.PssFileBytes} model file Pss {r.FilePss}")));
            Assert.All(readings, r => Assert.True(r.Usage is not null && r.FilePss is not null, $"a server exited:\n{table}"));

            // (a) The page cache holds the file once: the four shares add up to at most the file (and
            // at least half of it, so the weights really were mapped and read through the map).
            long totalFilePss = readings.Sum(r => r.FilePss!.Value);
            Assert.True(totalFilePss <= fileBytes * 1.1, $"model file PSS over {Instances} instances is {totalFilePss} bytes, file is {fileBytes}:\n{table}");
            Assert.True(totalFilePss >= fileBytes / 2, $"model file PSS over {Instances} instances is only {totalFilePss} bytes of {fileBytes}:\n{table}");

            // (b) No process holds a private copy of the weights.
            Assert.All(readings, r => Assert.True(
                r.Usage!.PssAnonBytes < fileBytes / 2, $"a server holds {r.Usage.PssAnonBytes} bytes of anonymous memory, weights are {fileBytes}:\n{table}"));
        }
        finally
        {
            foreach (var start in starts)
            {
                if (start.IsCompletedSuccessfully)
                {
                    (await start).Server.Dispose();
                }
            }
        }
    }

    private string CreateModel()
    {
        string config = Path.Combine(_folder, "config.json");
        string model = Path.Combine(_folder, "shared.gguf");
        File.WriteAllText(config, ConfigJson);
        var result = CliRunner.Run(
            "create-model", "--config", config, "--format", "gguf", "--dtype", "f32", "--seed", "1", "--out", model, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    /// <summary>A server with a KV cache and batch small enough that its anonymous memory stays small.</summary>
    private static async Task<(ServeProcess Server, int Port)> StartServer(string model)
    {
        int port = ServeProcess.FreePort();
        var server = await ServeProcess.StartAsync(
            "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
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
