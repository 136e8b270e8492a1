using System.Text.Json.Serialization;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary><c>sharpserve bench serve</c>'s checked flags; written into the result file (without the API key).</summary>
public sealed record ServeBenchSettings(
    string BaseUrl,
    string Endpoint,
    string? Model,
    [property: JsonIgnore] string? ApiKey,
    string DatasetName,
    string? DatasetPath,
    int RandomInputLen,
    int RandomOutputLen,
    double RandomRangeRatio,
    int PrefixRepetitionPrefixLen,
    int PrefixRepetitionSuffixLen,
    int PrefixRepetitionNumPrefixes,
    int PrefixRepetitionOutputLen,
    int? SharegptOutputLen,
    int NumPrompts,
    double RequestRate,
    double Burstiness,
    int? MaxConcurrency,
    IReadOnlyList<int>? SweepConcurrency,
    int NumWarmups,
    bool IgnoreEos,
    int Seed,
    string? ResultFile,
    string? Plot,
    bool DisableProgress)
{
    /// <summary>The concurrency limit of each run: the sweep's values, or the one --max-concurrency (null: none).</summary>
    public IReadOnlyList<int?> Levels => SweepConcurrency is { } sweep ? [.. sweep.Select(c => (int?)c)] : [MaxConcurrency];

    /// <summary>The prompts of one run, drawn from the chosen dataset by <paramref name="random"/>.</summary>
    public IReadOnlyList<BenchPrompt> Prompts(Random random) => DatasetName switch
    {
        "random" => RandomTextDataset.Create(NumPrompts, RandomInputLen, RandomOutputLen, RandomRangeRatio, random),
        "prefix-repetition" => PrefixRepetitionDataset.Create(NumPrompts, PrefixRepetitionPrefixLen, PrefixRepetitionSuffixLen, PrefixRepetitionNumPrefixes, PrefixRepetitionOutputLen, random),
        "sharegpt" => ShareGptDataset.Load(DatasetPath ?? throw new ArgumentException("--dataset-name sharegpt needs --dataset-path"), NumPrompts, SharegptOutputLen, random),
        _ => throw new ArgumentException($"--dataset-name must be random, sharegpt or prefix-repetition, got '{DatasetName}'"),
    };
}
