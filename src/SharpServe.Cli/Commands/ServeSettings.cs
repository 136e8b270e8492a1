using SharpServe.Engine.Loading;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Hosting;

namespace SharpServe.Cli.Commands;

/// <summary>What <c>sharpserve serve</c> was asked for, checked.</summary>
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
    string? LogFile);
