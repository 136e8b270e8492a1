using SharpServe.Engine.Scheduling;

namespace SharpServe.Cli.Commands;

/// <summary>What <c>sharpserve serve</c> was asked for, checked.</summary>
internal sealed record ServeSettings(
    string? Model,
    string Host,
    int Port,
    IReadOnlyList<string> ServedModelNames,
    int? MaxModelLen,
    int MaxNumSeqs,
    int MaxNumBatchedTokens,
    int MaxQueue,
    EngineMemoryOptions Memory,
    bool EnablePrefixCaching,
    string? ApiKey,
    int Threads);
