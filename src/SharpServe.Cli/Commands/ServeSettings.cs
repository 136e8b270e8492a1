using SharpServe.Engine.Loading;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Hosting;

namespace SharpServe.Cli.Commands;

/// <summary>What <c>sharpserve serve</c> was asked for, checked.</summary>
/// <param name="SharedWeights">The manifest of weights another process holds on the card (--shared-weights); null to upload our own.</param>
internal sealed record ServeSettings(
    string? Model,
    IReadOnlyList<string> ServedModelNames,
    int? MaxModelLen,
    int MaxNumSeqs,
    int MaxNumBatchedTokens,
    int MaxQueue,
    EngineMemoryOptions Memory,
    bool EnablePrefixCaching,
    int Threads,
    string Device,
    string DType,
    string? Quantization,
    ModelLoadOptions LoadOptions,
    ServerOptions Server,
    string? LogFile,
    string? SharedWeights);
