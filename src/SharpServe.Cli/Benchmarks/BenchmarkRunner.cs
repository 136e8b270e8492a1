namespace SharpServe.Cli.Benchmarks;

/// <summary>Runs one concurrency level on a target: the warm-up requests unmeasured, then the measured ones.</summary>
public static class BenchmarkRunner
{
    public static async Task<LevelStatistics> RunLevelAsync(IGenerationTarget target, LevelWorkload level)
    {
        ArgumentNullException.ThrowIfNull(level);
        await ClosedLoopDriver.RunAsync(target, level.WarmupPrompts, level.Concurrency, level.OutputLen).ConfigureAwait(false);
        DriverRun run = await ClosedLoopDriver.RunAsync(target, level.Prompts, level.Concurrency, level.OutputLen).ConfigureAwait(false);
        return LevelStatistics.From(level.Concurrency, run);
    }
}
