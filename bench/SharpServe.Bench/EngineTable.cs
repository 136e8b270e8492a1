using System.Globalization;

namespace SharpServe.Bench;

/// <summary>One format and phase of the engine table; <see cref="Theirs"/> is null when llama.cpp has no peer for the format.</summary>
public sealed record EngineTableRow(string Format, string Phase, PhaseLimit Limit, Achieved Ours, Achieved? Theirs);

/// <summary>The engine table as markdown: format × phase rows, SharpServe and llama.cpp side by side, their ratio, and the limit.</summary>
public static class EngineTable
{
    public static IEnumerable<string> Lines(IReadOnlyList<EngineTableRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        yield return "| format | phase | limit tok/s (bound) | SharpServe tok/s | GB/s | GFLOP/s | % of limit | llama.cpp tok/s | GB/s | GFLOP/s | % of limit | SharpServe ÷ llama.cpp |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (var row in rows)
        {
            string limit = Invariant($"{row.Limit.TokensPerS:F2} ({row.Limit.Bound})");
            string ratio = row.Theirs is { } theirs ? Invariant($"**{row.Ours.TokensPerS / theirs.TokensPerS:F2}×**") : "—";
            yield return $"| {row.Format} | {row.Phase} | {limit} | {Cells(row.Ours)} | {(row.Theirs is { } t ? Cells(t) : "— | — | — | —")} | {ratio} |";
        }
    }

    /// <summary>
    /// A line for the formats whose llama.cpp columns come from another file (see <see cref="BenchFormat.LlamaCppFormat"/>),
    /// so no reader takes "int8 (llama.cpp: q8_0)" for llama.cpp running int8; nothing when every peer ran the same format.
    /// </summary>
    public static IEnumerable<string> PeerNote(IEnumerable<BenchFormat> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        var substituted = formats.Where(f => f.LlamaCppFormat is not null).ToList();
        if (substituted.Count > 0)
        {
            yield return "llama.cpp cannot load " + string.Join(" or ", substituted.Select(f => f.Name)) + ": in those rows its columns are its run of "
                + string.Join(", ", substituted.Select(f => $"the {f.LlamaCppFormat} GGUF for {f.Name}")) + " (same preset and seed), as the format column says";
        }
    }

    /// <summary>The measured limits the table's percentages are taken against.</summary>
    public static string Limits(MachineLimits machine, int threads, int bandwidthProbes)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return Invariant($"limits measured in this run, {threads} threads: read bandwidth {machine.BandwidthGBps:F1} GB/s (best of {bandwidthProbes} probes: one at the start and one before each engine's repeat), f32 FMA {machine.Float32GFlops:F1} GFLOP/s, int8 VNNI dot {machine.Int8Gops:F1} GOP/s");
    }

    private static string Cells(Achieved a) => Invariant($"{a.TokensPerS:F2} | {a.GBps:F1} | {a.GFlops:F1} | {a.PercentOfLimit:F0} %");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
