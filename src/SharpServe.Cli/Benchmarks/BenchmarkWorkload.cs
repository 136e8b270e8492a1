namespace SharpServe.Cli.Benchmarks;

/// <summary>The prompts of one concurrency level: warm-up requests first, then the measured ones.</summary>
public sealed record LevelWorkload(int Concurrency, int[][] WarmupPrompts, int[][] Prompts, int OutputLen);

/// <summary>Every level's prompts, fixed up front so that every target sees exactly the same requests.</summary>
public static class BenchmarkWorkload
{
    /// <summary>
    /// One seeded stream of prompts, level after level. Each level (and its warm-up) gets fresh prompts,
    /// so prefix caching cannot reuse the KV of an earlier level and flatter the later ones.
    /// </summary>
    public static IReadOnlyList<LevelWorkload> Create(IReadOnlyList<int> ordinaryIds, BenchmarkSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var random = new Random(settings.Seed);
        return [.. settings.Concurrency.Select(concurrency => new LevelWorkload(
            concurrency,
            RandomPrompts.Draw(ordinaryIds, settings.Warmup, settings.InputLen, random),
            RandomPrompts.Draw(ordinaryIds, settings.NumPrompts, settings.InputLen, random),
            settings.OutputLen))];
    }
}
