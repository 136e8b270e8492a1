using System.CommandLine;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary>The flags of <c>sharpserve fleet</c>: a fleet spec on the command line, checked by the same validator as a file.</summary>
internal sealed class FleetOptions
{
    public Option<string?> Model { get; } = CommonOptions.Model();
    public GatewayFlags Gateway { get; } = new();
    public Option<int?> Instances { get; } = new("--instances") { Description = "Instances to start (default: one per --memory-fraction or --instance-port, else 2)" };
    public Option<double[]> MemoryFractions { get; } = new("--memory-fraction") { Description = "One instance's share of the device; give it once per instance (default: the ceiling split equally)" };
    public Option<int[]> InstancePorts { get; } = new("--instance-port") { Description = "One instance's port; give it once per instance (default: the ones after the gateway's)" };
    public Option<double> MemoryCeiling { get; } = new("--memory-ceiling") { Description = "Share of the device all instances together may use, in (0, 1]", DefaultValueFactory = _ => 0.9 };
    public Option<int?> MaxModelLen { get; } = new("--max-model-len") { Description = "Longest sequence, prompt plus output (default: the model's max positions)" };
    public Option<int?> MaxNumBatchedTokens { get; } = new("--max-num-batched-tokens") { Description = "Tokens computed in one step by each instance (default 2048)" };
    public Option<int?> MaxNumSeqs { get; } = new("--max-num-seqs") { Description = "Sequences computed together in one step by each instance (default 256)" };
    public Option<int?> MaxQueue { get; } = new("--max-queue") { Description = "Sequences that may wait beyond the running ones in each instance; more are refused with 429 (default 1024)" };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Compute threads of each instance (default: every core)" };
    public Option<string?> Quantization { get; } = new("--quantization") { Description = "none, or int8: every instance quantizes bf16/f16/f32 matrices to q8_0 at load and maps the one cached file" };
    public Option<string?> TokenEmbeddingType { get; } = CommonOptions.TokenEmbeddingType();
    public Option<string?> OutputTensorType { get; } = CommonOptions.OutputTensorType();
    public Option<string?> KvCacheDType { get; } = new("--kv-cache-dtype") { Description = $"KV-cache element type: {KvCacheDTypeExtensions.FlagValues}" };
    public Option<string> LogDir { get; } = LogDirOption();
    public Option<string> Device { get; } = DeviceOption();
    public Option<bool> NoShareWeights { get; } = NoShareWeightsOption();
    public Option<bool> Mps { get; } = MpsOption();
    public Option<string[]> ServedModelNames { get; } = new("--served-model-name") { Description = "Names clients may use for the model (default: the --model value)", AllowMultipleArgumentsPerToken = true };

    public IEnumerable<Option> All =>
    [
        Model, Instances, MemoryFractions, InstancePorts, MemoryCeiling, .. Gateway.All, MaxModelLen, MaxNumBatchedTokens, MaxNumSeqs, MaxQueue, Threads, KvCacheDType, Quantization, TokenEmbeddingType, OutputTensorType, LogDir, ServedModelNames, Device, NoShareWeights, Mps,
    ];

    /// <summary>fleet's --device: serve's flag, resolved once by the fleet and passed to every instance.</summary>
    public static Option<string> DeviceOption()
    {
        var option = CommonOptions.Device();
        option.Description = "Where the instances compute: auto, cpu or cuda (auto = CUDA card 0 when the driver, a card and the weight types allow, else the CPU); on a card the fractions are of the card's memory";
        return option;
    }

    public static Option<bool> NoShareWeightsOption() => new("--no-share-weights")
    {
        Description = "On a CUDA card, have every instance upload its own copy of the weights instead of mapping the one copy the fleet holds (CUDA IPC)",
    };

    public static Option<bool> MpsOption() => new("--mps")
    {
        Description = "Start NVIDIA's MPS control daemon (nvidia-cuda-mps-control -d, pipes and logs under --log-dir) before the instances, so their kernels share the GPU concurrently instead of time-slicing; quit it on shutdown",
    };

    public static Option<string> LogDirOption() => new("--log-dir") { Description = "Folder of the instances' logs (instance_PORT.log)", DefaultValueFactory = _ => "fleet-logs" };

    /// <param name="defaultModel">The model when --model is absent (serve's embedded default), asked for only then.</param>
    public FleetFlags Read(ParseResult parse, Func<string> defaultModel) => new()
    {
        Model = parse.GetValue(Model) ?? defaultModel(),
        Instances = parse.GetValue(Instances),
        MemoryFractions = parse.GetValue(MemoryFractions) ?? [],
        InstancePorts = parse.GetValue(InstancePorts) ?? [],
        ServedModelNames = parse.GetValue(ServedModelNames) is { Length: > 0 } names ? names
            : parse.GetValue(Model) is null ? [DefaultModel.ServedName] : [],
        MemoryCeiling = parse.GetValue(MemoryCeiling),
        Host = parse.GetValue(Gateway.Host)!,
        Port = parse.GetValue(Gateway.Port),
        Routing = parse.GetValue(Gateway.Routing)!,
        ApiKeys = parse.GetValue(Gateway.ApiKeys) ?? [],
        RateLimitRpm = parse.GetValue(Gateway.RateLimitRpm),
        TlsCertificate = parse.GetValue(Gateway.TlsCertificate),
        TlsKey = parse.GetValue(Gateway.TlsKey),
        LogDir = parse.GetValue(LogDir)!,
        Engine = new EngineSpec
        {
            MaxModelLen = parse.GetValue(MaxModelLen),
            MaxNumBatchedTokens = parse.GetValue(MaxNumBatchedTokens),
            MaxNumSeqs = parse.GetValue(MaxNumSeqs),
            MaxQueue = parse.GetValue(MaxQueue),
            Threads = parse.GetValue(Threads),
            KvCacheDtype = parse.GetValue(KvCacheDType),
            Quantization = parse.GetValue(Quantization),
            TokenEmbeddingType = parse.GetValue(TokenEmbeddingType),
            OutputTensorType = parse.GetValue(OutputTensorType),
        },
    };
}
