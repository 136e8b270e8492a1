using System.Globalization;

namespace SharpServe.Bench;

/// <summary>One engine's decode in each repeat: the GB/s it streamed and the read probe taken just before it.</summary>
public sealed record PairedRuns(IReadOnlyList<double> ProbeGBps, IReadOnlyList<double> DecodeGBps);

/// <summary>
/// Decode judged against the read probe taken just before it, beside the table's best-of-run limit. On a shared
/// machine other tenants take bandwidth for minutes at a time: probes of one run ranged from 30 to 66 GB/s
/// (2026-12-07), so this line says how much of what the machine offered at the time each engine streamed.
/// The share is the median of the per-repeat shares, not a ratio of medians: a busy minute lowers a repeat's probe
/// and its decode together.
/// </summary>
public static class PairedDecode
{
    /// <summary>Per repeat r: 100 · decode GB/s[r] ÷ probe GB/s[r].</summary>
    public static double[] Shares(PairedRuns runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.DecodeGBps.Count != runs.ProbeGBps.Count || runs.DecodeGBps.Count == 0)
        {
            throw new ArgumentException($"{runs.DecodeGBps.Count} decode rates for {runs.ProbeGBps.Count} probes: one of each per repeat");
        }

        return [.. runs.DecodeGBps.Select((gbps, r) => 100 * gbps / runs.ProbeGBps[r])];
    }

    /// <summary>The line under the table for one format; <paramref name="theirs"/> is null when llama.cpp has no run of it.</summary>
    public static string Line(string format, PairedRuns ours, PairedRuns? theirs)
    {
        ArgumentNullException.ThrowIfNull(format);
        string line = $"{format} decode against the probe just before it, per repeat: SharpServe {Engine(ours)}";
        return theirs is null ? line : line + $"; llama.cpp {Engine(theirs)}";
    }

    private static string Engine(PairedRuns runs)
    {
        double[] shares = Shares(runs);
        string streamed = string.Join(", ", runs.DecodeGBps.Select((gbps, r) => Invariant($"{gbps:F1} of {runs.ProbeGBps[r]:F1}")));
        string percents = string.Join(", ", shares.Select(share => Invariant($"{share:F0}")));
        return Invariant($"{streamed} GB/s = {percents} % (median {Statistics.Median(shares):F0} %)");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
