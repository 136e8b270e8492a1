using System.CommandLine;
using SharpServe.Cli.Benchmarks;
using SharpServe.Engine.Cuda;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Generation;
using SharpServe.Server.Hosting;

namespace SharpServe.Cli.Commands;

/// <summary>The flags of <c>sharpserve serve</c>, named as vLLM's api_server names them.</summary>
internal sealed class ServeOptions
{
    private const string ApiKeyVariable = "SHARPSERVE_API_KEY";

    public Option<string?> Model { get; } = CommonOptions.Model();
    public Option<string> Host { get; } = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "0.0.0.0" };
    public Option<int> Port { get; } = new("--port") { Description = "Port to listen on", DefaultValueFactory = _ => 8000 };
    public Option<string[]> ServedModelNames { get; } = new("--served-model-name") { Description = "Names clients may use for the model (default: the --model value)", AllowMultipleArgumentsPerToken = true };
    public Option<int?> MaxModelLen { get; } = new("--max-model-len") { Description = "Longest sequence, prompt plus output (default: the model's max positions)" };
    public Option<double> MemoryUtilization { get; } = new("--gpu-memory-utilization", "--memory-utilization") { Description = "This instance's total (weights + activations + KV cache) as a share of the device's memory (the card's on CUDA, else the machine's), in (0, 1]; counted from this process's own allocations, so shared weights count 0", DefaultValueFactory = _ => 0.9 };
    public Option<string?> KvCacheMemory { get; } = new("--kv-cache-memory") { Description = "Explicit KV-cache size, e.g. 2GiB (replaces --gpu-memory-utilization)" };
    public Option<string> KvCacheDType { get; } = new("--kv-cache-dtype") { Description = $"KV-cache element type: {KvCacheDTypeExtensions.FlagValues} (auto = float32 on CPU)", DefaultValueFactory = _ => "auto" };
    public Option<int> MaxNumSeqs { get; } = new("--max-num-seqs") { Description = "Sequences computed together in one step", DefaultValueFactory = _ => 256 };
    public Option<int> MaxNumBatchedTokens { get; } = new("--max-num-batched-tokens") { Description = "Tokens computed in one step (prefill chunks and decodes together)", DefaultValueFactory = _ => 2048 };
    public Option<int> MaxQueue { get; } = new("--max-queue") { Description = "Sequences that may wait beyond the running ones; more are refused with 429", DefaultValueFactory = _ => 1024 };
    public Option<bool> EnablePrefixCaching { get; } = new("--enable-prefix-caching") { Description = "Reuse the KV blocks of shared prompt prefixes (the default)" };
    public Option<bool> NoEnablePrefixCaching { get; } = new("--no-enable-prefix-caching") { Description = "Compute every prompt in full" };
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = $"Require 'Authorization: Bearer KEY' on /v1/*, /tokenize and /detokenize (also ${ApiKeyVariable})" };
    public Option<int> TensorParallelSize { get; } = new("--tensor-parallel-size") { Description = "Devices to split the model over: only 1 is supported", DefaultValueFactory = _ => 1 };
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<string> Device { get; } = CommonOptions.Device();
    public Option<string> DType { get; } = new("--dtype") { Description = $"Weight type: {string.Join(", ", WeightFormatCheck.DTypes)}; anything but auto must match the checkpoint", DefaultValueFactory = _ => WeightFormatCheck.AutoDType };
    public Option<string?> Quantization { get; } = CommonOptions.Quantization();
    public Option<string?> TokenEmbeddingType { get; } = CommonOptions.TokenEmbeddingType();
    public Option<string?> OutputTensorType { get; } = CommonOptions.OutputTensorType();
    public Option<string?> ReasoningParser { get; } = new("--reasoning-parser") { Description = $"Split chat replies into reasoning_content and content: {ReasoningParsers.DeepSeekR1}" };
    public Option<double> DrainTimeout { get; } = new("--drain-timeout") { Description = "Seconds in-flight requests may run after SIGTERM or Ctrl+C before they are cut", DefaultValueFactory = _ => 30 };
    public Option<double> EngineStallTimeout { get; } = new("--engine-stall-timeout") { Description = "Seconds without an engine step, with requests pending, after which /health answers 503", DefaultValueFactory = _ => 30 };
    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Also append the log to this file" };
    public Option<string?> SharedWeights { get; } = new("--shared-weights") { Description = "Map the weights another process holds on the CUDA card (the manifest `fleet --device cuda` writes) instead of uploading a copy; needs --device cuda (or auto on a card)" };

    public IEnumerable<Option> All =>
    [
        Model, Host, Port, ServedModelNames, MaxModelLen, MemoryUtilization, KvCacheMemory, KvCacheDType, MaxNumSeqs,
        MaxNumBatchedTokens, MaxQueue, EnablePrefixCaching, NoEnablePrefixCaching, ApiKey, TensorParallelSize, Threads,
        Device, DType, Quantization, TokenEmbeddingType, OutputTensorType, ReasoningParser, DrainTimeout, EngineStallTimeout, LogFile, SharedWeights,
    ];

    public ServeSettings Read(ParseResult parse)
    {
        int tensorParallel = parse.GetValue(TensorParallelSize);
        if (tensorParallel != 1)
        {
            throw new ArgumentException($"--tensor-parallel-size {tensorParallel}: SharpServe runs a model on one device; start one instance per device behind a router instead");
        }

        double utilization = parse.GetValue(MemoryUtilization);
        if (utilization is not (> 0 and <= 1))
        {
            throw new ArgumentException($"--gpu-memory-utilization must be in (0, 1], got {utilization}");
        }

        if (parse.GetValue(EnablePrefixCaching) && parse.GetValue(NoEnablePrefixCaching))
        {
            throw new ArgumentException("give at most one of --enable-prefix-caching and --no-enable-prefix-caching");
        }

        string device = parse.GetValue(Device)!;
        if (!ComputeDevice.Names.Contains(device))
        {
            throw new ArgumentException($"--device {device}: expected one of {string.Join(", ", ComputeDevice.Names)}");
        }

        string? sharedWeights = parse.GetValue(SharedWeights);
        if (sharedWeights is not null && device == "cpu")
        {
            throw new ArgumentException("--shared-weights maps weights held on a CUDA card, which --device cpu does not use (on the CPU, instances of one model already share its mapped file): use --device cuda or leave --shared-weights out");
        }

        string dtype = parse.GetValue(DType)!;
        if (!WeightFormatCheck.DTypes.Contains(dtype))
        {
            throw new ArgumentException($"--dtype {dtype}: expected one of {string.Join(", ", WeightFormatCheck.DTypes)}");
        }

        string? reasoningParser = parse.GetValue(ReasoningParser);
        ReasoningParsers.SplitsReasoning(reasoningParser);
        string? kvText = parse.GetValue(KvCacheMemory);
        var memory = new EngineMemoryOptions
        {
            MemoryUtilization = utilization,
            KvCacheMemoryBytes = kvText is null ? null
                : ByteSize.TryParse(kvText, out long bytes) && bytes > 0 ? bytes : throw new ArgumentException($"--kv-cache-memory: '{kvText}' is not a positive byte size (e.g. 2GiB)"),
            KvCacheDType = KvCacheDTypeExtensions.Parse(parse.GetValue(KvCacheDType)!),
        };

        return new ServeSettings(
            parse.GetValue(Model),
            parse.GetValue(ServedModelNames) ?? [],
            parse.GetValue(MaxModelLen),
            parse.GetValue(MaxNumSeqs),
            parse.GetValue(MaxNumBatchedTokens),
            parse.GetValue(MaxQueue),
            memory,
            !parse.GetValue(NoEnablePrefixCaching),
            parse.GetValue(Threads),
            device,
            dtype,
            parse.GetValue(Quantization),
            WeightFormatCheck.LoadOptions(parse.GetValue(Quantization), parse.GetValue(TokenEmbeddingType), parse.GetValue(OutputTensorType)),
            new ServerOptions
            {
                Host = parse.GetValue(Host)!,
                Port = parse.GetValue(Port),
                ApiKey = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable),
                ReasoningParser = reasoningParser,
                DrainTimeout = Seconds(DrainTimeout, parse),
                EngineStallTimeout = Seconds(EngineStallTimeout, parse),
            },
            parse.GetValue(LogFile),
            sharedWeights);
    }

    private static TimeSpan Seconds(Option<double> option, ParseResult parse)
    {
        double seconds = parse.GetValue(option);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"{option.Name} must be a positive number of seconds, got {seconds}");
    }
}
