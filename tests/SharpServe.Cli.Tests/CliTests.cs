using System.Security.Cryptography;
using System.Text.Json;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Tests;

/// <summary>The sharpserve commands end to end, as a user runs them.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CreateModel_IsDeterministicForASeed_AndDiffersAcrossSeeds()
    {
        string a = CreateTiny("a.gguf", seed: 11);
        string b = CreateTiny("b.gguf", seed: 11);
        string c = CreateTiny("c.gguf", seed: 12);
        Assert.Equal(Hash(a), Hash(b));
        Assert.NotEqual(Hash(a), Hash(c));
    }

    [Fact]
    public void Logits_PrintsOneJsonArrayPerPosition_EqualToTheEngine()
    {
        string model = CreateTiny("m.gguf", seed: 3);
        int[] ids = [151646, 9707, 11, 1879, 0, 151648];
        var result = CliRunner.Run("logits", "--model", model, "--prompt-ids", string.Join(',', ids), "--threads", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ids.Length, lines.Length);

        using var loaded = LoadedModel.Open(model, threads: 1);
        var runner = new ModelRunner(loaded.Model, new KvCachePool(loaded.Config, 1));
        float[] expected = runner.Step([new BatchEntry(new SequenceState(), ids)], allPositions: true);
        for (int row = 0; row < ids.Length; row++)
        {
            float[] printed = JsonSerializer.Deserialize<float[]>(lines[row])!;
            Assert.Equal(expected.AsSpan(row * loaded.Config.VocabSize, loaded.Config.VocabSize).ToArray(), printed);
        }
    }

    [Fact]
    public void Logits_OnTheDeviceItNames_OrTheReasonItCannot()
    {
        string model = CreateTiny("m.gguf", seed: 3);
        string[] args = ["logits", "--model", model, "--prompt-ids", "9707,11", "--threads", "1"];

        var cpu = CliRunner.Run([.. args, "--device", "cpu"]);
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        Assert.Equal(CliRunner.Run(args).Stdout, cpu.Stdout);
        Assert.Contains("Device: cpu, 1 threads", cpu.Stderr, StringComparison.Ordinal);

        if (SharpServe.Engine.Cuda.CudaDriver.Probe().Usable)
        {
            return; // a machine with a card: the device check compares its logits with PyTorch's
        }

        var cuda = CliRunner.Run([.. args, "--device", "cuda"]);
        Assert.Equal(1, cuda.ExitCode);
        Assert.StartsWith("error: --device cuda: no NVIDIA driver", cuda.Stderr, StringComparison.Ordinal);
        Assert.Empty(cuda.Stdout);
    }

    [Theory]
    [InlineData("generate", "--prompt-ids", "9707,11", "--max-tokens", "4", "--temperature", "0")]
    [InlineData("bench", "engine", "--num-prompts", "2", "--input-len", "4", "--output-len", "2", "--concurrency", "1")]
    public void GenerateAndBenchEngine_RunOnTheDeviceTheyName_OrSayWhyNot(params string[] command)
    {
        string model = CreateTiny("d.gguf", seed: 4);
        string[] args = [.. command, "--model", model, "--threads", "1"];

        var cpu = CliRunner.Run([.. args, "--device", "cpu"]);
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        Assert.Contains("Device: cpu, 1 threads", cpu.Stderr, StringComparison.Ordinal);
        if (SharpServe.Engine.Cuda.CudaDriver.Probe().Usable)
        {
            return; // a machine with a card: tools/gpu-check.sh runs these there
        }

        var cuda = CliRunner.Run([.. args, "--device", "cuda"]);
        Assert.Equal(1, cuda.ExitCode);
        Assert.StartsWith("error: --device cuda: no NVIDIA driver", cuda.Stderr, StringComparison.Ordinal);
        Assert.Empty(cuda.Stdout);
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("bf16")]
    public void Generate_WithA16BitKvCache_Runs(string dtype)
    {
        string model = CreateTiny("g.gguf", seed: 5);
        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello", "--max-tokens", "5", "--ignore-eos", "--kv-cache-dtype", dtype);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("generated 5 tokens", result.Stderr);
    }

    [Fact]
    public void Generate_StreamsTheGreedyContinuation_AndReportsSpeed()
    {
        string model = CreateTiny("g.gguf", seed: 5);
        var result = CliRunner.Run("generate", "--model", model, "--prompt", "Hello, world", "--max-tokens", "12", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches(@"prefill [0-9.]+ tok/s", result.Stderr);
        Assert.Matches(@"generated 12 tokens, decode [0-9.]+ tok/s", result.Stderr);

        using var loaded = LoadedModel.Open(model, threads: 2);
        int[] prompt = loaded.Tokenizer!.Encode("Hello, world", addSpecialTokens: true);
        var runner = new ModelRunner(loaded.Model, new KvCachePool(loaded.Config, 2));
        var sequence = new SequenceState();
        var generated = new List<int>();
        float[] logits = runner.Step([new BatchEntry(sequence, prompt)], allPositions: false);
        for (int i = 0; i < 12; i++)
        {
            generated.Add(Engine.Sampling.Greedy.ArgMax(logits));
            logits = runner.Step([new BatchEntry(sequence, [generated[^1]])], allPositions: false);
        }

        Assert.Equal(loaded.Tokenizer.Decode(generated, skipSpecialTokens: false) + "\n", result.Stdout);
    }

    [Fact]
    public void GenerateChat_EncodesTheRenderedChatPromptWithASingleBos()
    {
        string model = CreateTiny("g.gguf", seed: 5);
        var result = CliRunner.Run("generate", "--model", model, "--prompt", "What is 2+2?", "--chat", "--max-tokens", "4", "--ignore-eos", "--temperature", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);

        using var loaded = LoadedModel.Open(model, threads: 1);
        var spec = loaded.Tokenizer!.Spec;
        var context = new Engine.Templates.ChatTemplateContext
        {
            Messages = [new Dictionary<string, object?> { ["role"] = "user", ["content"] = "What is 2+2?" }],
            AddGenerationPrompt = true,
            BosToken = spec.Tokens[spec.BosId!.Value],
            EosToken = spec.Tokens[spec.EosId!.Value],
        };
        string rendered = Engine.Templates.ChatTemplate.Parse(spec.ChatTemplate!).Render(context);
        Assert.EndsWith("<think>\n", rendered);
        int[] expected = loaded.Tokenizer.Encode(rendered, addSpecialTokens: false);
        Assert.Equal(1, expected.Count(id => id == spec.BosId));
        Assert.Contains($"prompt {expected.Length} tokens,", result.Stderr);
    }

    [Fact]
    public void TokenizeAndDetokenize_RoundTripThroughTheModelsTokenizer()
    {
        string model = CreateTiny("t.gguf", seed: 2);
        const string text = "请用中文介绍一下人工智能的发展历史<think>\nHello, WORLD's 12345";
        var tokenized = CliRunner.Run("tokenize", "--model", model, "--text", text);
        Assert.True(tokenized.ExitCode == 0, tokenized.Stderr);
        int[] ids = JsonSerializer.Deserialize<int[]>(tokenized.Stdout)!;
        Assert.Equal(151646, ids[0]); // BOS added by the post-processor
        Assert.Contains(151648, ids);  // <think> is one added token

        using var checkpoint = Engine.Loading.ModelLoader.Load(model);
        Assert.Equal(new Engine.Tokenization.Qwen2Tokenizer(checkpoint.Tokenizer!).Encode(text, addSpecialTokens: true), ids);

        var detokenized = CliRunner.Run("detokenize", "--model", model, "--ids", string.Join(',', ids), "--skip-special-tokens");
        Assert.True(detokenized.ExitCode == 0, detokenized.Stderr);
        Assert.Equal(text + "\n", detokenized.Stdout);
    }

    [Fact]
    public void ChatTemplate_RendersTheDistillTemplate_WithTheNewThinkOpener()
    {
        string model = CreateTiny("c.gguf", seed: 4);
        string messages = Path.Combine(_folder, "messages.json");
        File.WriteAllText(messages, """[{"role": "user", "content": "What is 1+1?"}, {"role": "assistant", "content": "<think>easy</think>2"}, {"role": "user", "content": "And 2+2?"}]""");
        var result = CliRunner.Run("chat-template", "--model", model, "--messages", messages, "--add-generation-prompt");
        Assert.True(result.ExitCode == 0, result.Stderr);
        // The distill template drops the reasoning of earlier assistant turns and opens the reply with <think>\n.
        Assert.Equal("<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜>2<｜end▁of▁sentence｜><｜User｜>And 2+2?<｜Assistant｜><think>\n", result.Stdout);
    }

    [Theory]
    [InlineData("chat-template", "--model", "MODEL", "--messages", "missing.json")]
    [InlineData("tokenize", "--model", "MODEL")]
    [InlineData("detokenize", "--model", "MODEL", "--ids", "1,9999999")]
    [InlineData("create-model", "--dtype", "q4_k", "--out", "x.gguf")]
    [InlineData("create-model", "--format", "hf", "--dtype", "q8_0", "--out", "x")]
    [InlineData("logits", "--model", "missing.gguf", "--prompt-ids", "1,2")]
    [InlineData("logits", "--model", "MODEL", "--prompt-ids", "1,x")]
    [InlineData("logits", "--model", "MODEL", "--prompt-ids", "999999")]
    [InlineData("generate", "--model", "MODEL", "--prompt", "a", "--prompt-ids", "1")]
    [InlineData("generate", "--model", "MODEL", "--prompt", "a", "--kv-cache-dtype", "fp8")]
    public void BadInput_GetsOneClearErrorLine_AndExitCode1(params string[] args)
    {
        string model = CreateTiny("bad.gguf", seed: 1);
        var resolved = args.Select(a => a == "MODEL" ? model : a is "x.gguf" or "x" or "missing.gguf" or "missing.json" ? Path.Combine(_folder, a) : a).ToList();
        if (resolved[0] == "create-model")
        {
            resolved.AddRange(["--tokenizer", CliRunner.SharedTokenizerJson]);
        }

        var result = CliRunner.Run([.. resolved]);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    private string CreateTiny(string name, int seed)
    {
        string path = Path.Combine(_folder, name);
        if (!File.Exists(path))
        {
            var result = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "f32", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        return path;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
