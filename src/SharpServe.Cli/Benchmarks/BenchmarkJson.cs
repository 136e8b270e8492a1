using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Cli.Benchmarks;

/// <summary>One target's run: what was measured, how, and every level's results.</summary>
/// <param name="TargetSettings">How the target was configured (e.g. llama.cpp's batch sizes, KV type), as name → value.</param>
public sealed record TargetReport(string Target, string Model, IReadOnlyDictionary<string, string> TargetSettings, IReadOnlyList<LevelStatistics> Levels);

/// <summary>Writes benchmark results as JSON with vLLM-style snake_case names.</summary>
public static class BenchmarkJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // A level with one output token per request has no inter-token gaps: its ITL is NaN, not an error.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, BenchmarkSettings settings, IReadOnlyList<TargetReport> targets) =>
        Write(path, new { settings, targets });

    /// <summary>Writes any report object with the same naming, e.g. <c>bench serve</c>'s settings and levels.</summary>
    public static void Write(string path, object report) => File.WriteAllText(path, JsonSerializer.Serialize(report, Options));
}
