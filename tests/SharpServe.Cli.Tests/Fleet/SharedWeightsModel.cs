using System.Globalization;
using System.Net.Http.Json;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// The model and small servers of the shared-weights tests (<see cref="SharedWeightsTests"/>,
/// <see cref="SharedInt8WeightsTests"/>): 4 layers, hidden 512, and the real 151,936-token vocabulary as a tied
/// embedding, which dominates the file and is also the LM head, so one decode step reads every byte of it.
/// </summary>
internal static class SharedWeightsModel
{
    private const string ConfigJson = """
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 512, "intermediate_size": 1536,
         "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 151936,
         "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true,
         "bos_token_id": 151643, "eos_token_id": 151643}
        """;

    /// <summary>Writes the model into <paramref name="folder"/> as <paramref name="name"/> (create-model's format and dtype).</summary>
    public static string Create(string folder, string name, string format, string dtype)
    {
        string config = Path.Combine(folder, "config.json");
        string model = Path.Combine(folder, name);
        File.WriteAllText(config, ConfigJson);
        var result = CliRunner.Run(
            "create-model", "--config", config, "--format", format, "--dtype", dtype, "--seed", "1", "--out", model, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return model;
    }

    /// <summary>A server with a KV cache and batch small enough that its anonymous memory stays small.</summary>
    public static async Task<(ServeProcess Server, int Port)> StartServer(string model, params string[] extraArguments)
    {
        int port = ServeProcess.FreePort();
        var server = await ServeProcess.StartAsync(
            [
                "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), .. extraArguments,
                "--kv-cache-memory", "16MiB", "--max-num-batched-tokens", "64", "--max-num-seqs", "4", "--max-model-len", "512",
            ]);
        return (server, port);
    }

    /// <summary>One short completion, so every layer and the LM head are read once.</summary>
    public static async Task CompleteOnceAsync(int port)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Hello there", max_tokens = 2 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
