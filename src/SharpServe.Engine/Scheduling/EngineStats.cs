namespace SharpServe.Engine.Scheduling;

/// <summary>
/// A snapshot of the engine's gauges and counters, with vLLM's metric meanings. Computed prompt tokens
/// are prompt positions actually run through the model: prompt tokens minus prefix-cache hits, plus
/// recomputation after preemption.
/// </summary>
public sealed record EngineStats(
    int Running,
    int Waiting,
    double KvUsagePercent,
    long PrefixQueries,
    long PrefixHits,
    long Preemptions,
    long PromptTokens,
    long GenerationTokens,
    long ComputedPromptTokens,
    int FreeKvBlocks);
