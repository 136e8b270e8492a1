using System.CommandLine;
using System.Globalization;
using SharpServe.Cli.Commands;
using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Benchmarks;

/// <summary>
/// The benchmark's command-line options, shared by <c>sharpserve bench engine</c> and the bench project's
/// <c>batched</c> mode so both accept exactly the same flags with the same defaults and checks.
/// </summary>
public sealed class BenchmarkOptions
{
    /// <param name="modelDefault">What runs when --model is left out, for the help text.</param>
    public BenchmarkOptions(string modelDefault)
    {
        Model = new Option<string?>("--model") { Description = $"HF model directory or GGUF file (default: {modelDefault})" };
    }

    public Option<string?> Model { get; }
    public Option<int> NumPrompts { get; } = new("--num-prompts") { Description = "Requests measured per concurrency level", DefaultValueFactory = _ => 64 };
    public Option<int> InputLen { get; } = new("--input-len") { Description = "Prompt length in tokens (random ordinary token ids)", DefaultValueFactory = _ => 256 };
    public Option<int> OutputLen { get; } = new("--output-len") { Description = "Tokens generated per request (greedy, end-of-sequence ignored)", DefaultValueFactory = _ => 128 };
    public Option<string> Concurrency { get; } = new("--concurrency") { Description = "Comma-separated requests kept in flight, one level each", DefaultValueFactory = _ => "1,8,32" };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the random prompts", DefaultValueFactory = _ => 0 };
    public Option<int> Warmup { get; } = new("--warmup") { Description = "Unmeasured warm-up requests before each level", DefaultValueFactory = _ => 2 };
    public Option<int?> MaxNumSeqs { get; } = new("--max-num-seqs") { Description = "Engine's running-sequence limit (default: the largest concurrency)" };
    public Option<int> MaxNumBatchedTokens { get; } = new("--max-num-batched-tokens") { Description = "Engine's tokens per step", DefaultValueFactory = _ => 2048 };
    public Option<int?> MaxModelLen { get; } = new("--max-model-len") { Description = "Engine's longest sequence (default: input-len + output-len)" };
    public Option<double?> MemoryUtilization { get; } = new("--memory-utilization") { Description = "Share of the machine's memory the engine may use, in (0, 1]" };
    public Option<string?> KvCacheMemory { get; } = new("--kv-cache-memory") { Description = "Explicit KV-cache size, e.g. 2GiB (default: max-num-seqs sequences of max-model-len)" };
    public Option<string> KvCacheDType { get; } = new("--kv-cache-dtype") { Description = $"KV-cache element type: {KvCacheDTypeExtensions.FlagValues} (auto = float32 on CPU)", DefaultValueFactory = _ => "auto" };
    public Option<string?> Quantization { get; } = CommonOptions.Quantization();
    public Option<string?> TokenEmbeddingType { get; } = CommonOptions.TokenEmbeddingType();
    public Option<string?> OutputTensorType { get; } = CommonOptions.OutputTensorType();
    public Option<int> Threads { get; } = new("--threads") { Description = "Compute threads", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<string> Device { get; } = CommonOptions.Device();
    public Option<string?> OutputJson { get; } = new("--output-json") { Description = "Also write the settings and every level's results to this JSON file" };

    public IEnumerable<Option> All =>
    [
        Model, NumPrompts, InputLen, OutputLen, Concurrency, Seed, Warmup, MaxNumSeqs, MaxNumBatchedTokens,
        MaxModelLen, MemoryUtilization, KvCacheMemory, KvCacheDType, Quantization, TokenEmbeddingType, OutputTensorType, Threads, Device, OutputJson,
    ];

    /// <summary>The flags, checked; a bad value is an <see cref="ArgumentException"/> naming the flag.</summary>
    public BenchmarkSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        int numPrompts = AtLeast(parse.GetValue(NumPrompts), 1, "--num-prompts");
        int inputLen = AtLeast(parse.GetValue(InputLen), 1, "--input-len");
        int outputLen = AtLeast(parse.GetValue(OutputLen), 1, "--output-len");
        int[] levels = ParseConcurrency(parse.GetValue(Concurrency)!);
        int maxModelLen = parse.GetValue(MaxModelLen) ?? inputLen + outputLen;
        if (maxModelLen < inputLen + outputLen)
        {
            throw new ArgumentException($"--max-model-len {maxModelLen} is shorter than --input-len + --output-len = {inputLen + outputLen}");
        }

        double? utilization = parse.GetValue(MemoryUtilization);
        if (utilization is not null and (<= 0 or > 1))
        {
            throw new ArgumentException($"--memory-utilization must be in (0, 1], got {utilization}");
        }

        long? kvBytes = parse.GetValue(KvCacheMemory) is { } kvText
            ? ByteSize.TryParse(kvText, out long bytes) && bytes > 0 ? bytes : throw new ArgumentException($"--kv-cache-memory: '{kvText}' is not a positive byte size (e.g. 2GiB)")
            : null;
        string? quantization = parse.GetValue(Quantization);
        string? tokenEmbeddingType = parse.GetValue(TokenEmbeddingType);
        string? outputTensorType = parse.GetValue(OutputTensorType);
        WeightFormatCheck.LoadOptions(quantization, tokenEmbeddingType, outputTensorType); // an unknown value fails now, before the model is resolved or loaded
        return new BenchmarkSettings(
            parse.GetValue(Model),
            numPrompts,
            inputLen,
            outputLen,
            levels,
            parse.GetValue(Seed),
            AtLeast(parse.GetValue(Warmup), 0, "--warmup"),
            AtLeast(parse.GetValue(MaxNumSeqs) ?? levels.Max(), 1, "--max-num-seqs"),
            AtLeast(parse.GetValue(MaxNumBatchedTokens), 1, "--max-num-batched-tokens"),
            maxModelLen,
            utilization,
            kvBytes,
            KvCacheDTypeExtensions.Parse(parse.GetValue(KvCacheDType)!),
            AtLeast(parse.GetValue(Threads), 1, "--threads"),
            parse.GetValue(OutputJson),
            quantization,
            tokenEmbeddingType,
            outputTensorType,
            parse.GetValue(Device)!);
    }

    private static int AtLeast(int value, int minimum, string flag) =>
        value >= minimum ? value : throw new ArgumentException($"{flag} must be at least {minimum}, got {value}");

    private static int[] ParseConcurrency(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new ArgumentException("--concurrency: no levels given");
        }

        return [.. parts.Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int level) && level > 0
            ? level
            : throw new ArgumentException($"--concurrency: '{part}' is not a positive integer"))];
    }
}
