using SharpServe.Engine.Creation;

namespace SharpServe.Cli.Tests;

/// <summary>
/// <c>--token-embedding-type</c> / <c>--output-tensor-type</c> on generate, bench engine and serve: an untied AWQ checkpoint
/// (rows of 256, so the K-quants fit) with its f16 heads converted at load, and the flag errors.
/// </summary>
public sealed class HeadTypesCliTests : IDisposable
{
    private static readonly string[] Greedy = ["--prompt", "Hello, world", "--max-tokens", "4", "--ignore-eos", "--temperature", "0", "--threads", "1"];

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-headtypes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Generate_ConvertsTheHeadsOnce_ThenMapsThemFromTheCache_AndSaysSo()
    {
        string model = CreateAwq();
        string[] args = ["generate", "--model", model, "--token-embedding-type", "q4_k", "--output-tensor-type", "Q6_K", .. Greedy];
        var first = CliRunner.Run(args);
        var second = CliRunner.Run(args);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("(heads converted: lm_head.weight q6_k, model.embed_tokens.weight q4_k, source ", first.Stderr, StringComparison.Ordinal);
        Assert.Contains(", quantized now)", first.Stderr, StringComparison.Ordinal);
        Assert.Contains(", from the cache)", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(first.Stdout, second.Stdout);
    }

    /// <summary>--quantization awq still names what the checkpoint stores: the converted heads are not counted against it.</summary>
    [Fact]
    public void BenchEngine_TakesTheFlags_AlongsideQuantizationAwq_AndNamesThemInItsHeader()
    {
        var result = CliRunner.Run("bench", "engine", "--model", CreateAwq(), "--quantization", "awq", "--output-tensor-type", "q8_0", "--num-prompts", "1",
            "--input-len", "8", "--output-len", "2", "--concurrency", "1", "--warmup", "0", "--threads", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("(lm_head.weight q8_0 at load), input 8", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The heads converted at load are not what the file stores: --quantization none and --dtype still describe a bf16 checkpoint.</summary>
    [Fact]
    public void Generate_WithQuantizationNone_AcceptsABf16CheckpointWhoseHeadsAreConverted()
    {
        var result = CliRunner.Run(["generate", "--model", Create("bf16"), "--quantization", "none", "--output-tensor-type", "q8_0", .. Greedy]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("(heads converted: lm_head.weight q8_0, source ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--token-embedding-type", "q5_k", "error: --token-embedding-type q5_k: expected one of q8_0, q6_k, q4_k, q4_0")]
    [InlineData("--output-tensor-type", "f16", "error: --output-tensor-type f16: expected one of q8_0, q6_k, q4_k, q4_0")]
    public void Serve_RefusesAnUnknownType_BeforeLoading(string flag, string value, string expected)
    {
        var result = CliRunner.Run("serve", "--model", Path.Combine(_folder, "not-there"), "--port", "0", flag, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(expected, result.Stderr.Trim());
    }

    [Fact]
    public void Generate_RefusesHeadTypesWithInt8_BeforeLoading()
    {
        var result = CliRunner.Run(["generate", "--model", Path.Combine(_folder, "not-there"), "--quantization", "int8", "--output-tensor-type", "q6_k", .. Greedy]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: --output-tensor-type cannot be combined with --quantization int8", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_RefusesAQuantizedHead_NamingTheTensor()
    {
        string model = Path.Combine(_folder, "q8.gguf");
        var created = CliRunner.Run("create-model", "--preset", "tiny", "--format", "gguf", "--dtype", "q8_0", "--seed", "1", "--out", model, "--tokenizer", CliRunner.SharedTokenizerJson);
        Assert.True(created.ExitCode == 0, created.Stderr);

        var result = CliRunner.Run(["generate", "--model", model, "--output-tensor-type", "q4_0", .. Greedy]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--output-tensor-type q4_0: token_embd.weight is already quantized (q8_0)", result.Stderr, StringComparison.Ordinal);
    }

    private string CreateAwq() => Create("awq");

    /// <summary>An untied HF model with rows of 256 values, its projections as <paramref name="dtype"/> (awq or a float type).</summary>
    private string Create(string dtype)
    {
        string path = Path.Combine(_folder, dtype);
        if (!Directory.Exists(path))
        {
            string config = Path.Combine(_folder, "config.json");
            File.WriteAllText(config, (ModelPresets.Tiny with { HiddenSize = 256, IntermediateSize = 256, TieWordEmbeddings = false }).ToJson());
            var result = CliRunner.Run("create-model", "--config", config, "--format", "hf", "--dtype", dtype, "--seed", "7", "--out", path, "--tokenizer", CliRunner.SharedTokenizerJson);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        return path;
    }
}
