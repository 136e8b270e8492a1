using System.Diagnostics;
using System.Globalization;
using SharpServe.Engine.Kernels;

namespace SharpServe.Bench;

/// <summary>
/// `engine --profile`: where SharpServe's time goes in each timed phase, from the <see cref="TimedBackend"/> its model
/// runs on, printed to stderr after the phase — per operation the milliseconds, the share of the phase's wall time and
/// the calls, heaviest first; "outside the seam" is the rest (sampling, batch bookkeeping, the runner).
/// </summary>
public sealed class PhaseProfile(string format, TimedBackend timer)
{
    /// <summary>Runs one phase with the timer cleared before it, prints its profile and returns its result.</summary>
    public double Measure(string phase, Func<double> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        timer.Reset();
        long start = Stopwatch.GetTimestamp();
        double result = run();
        var wall = Stopwatch.GetElapsedTime(start);
        foreach (var line in Lines($"{format} {phase}", wall, timer.Totals))
        {
            Console.Error.WriteLine(line);
        }

        return result;
    }

    /// <summary>The profile of one phase that took <paramref name="wall"/>.</summary>
    public static IEnumerable<string> Lines(string title, TimeSpan wall, IReadOnlyDictionary<string, OperationTime> totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        yield return Invariant($"profile {title}: {wall.TotalMilliseconds:F1} ms");
        // As wide as the longest name (a fused matmul's names are long), so the columns line up.
        int width = totals.Keys.Append("outside the seam").Max(name => name.Length);
        var inside = TimeSpan.Zero;
        foreach (var (operation, time) in totals.OrderByDescending(pair => pair.Value.Elapsed))
        {
            inside += time.Elapsed;
            yield return Row(operation, width, time.Elapsed, wall, time.Calls.ToString(CultureInfo.InvariantCulture));
        }

        yield return Row("outside the seam", width, wall - inside, wall, "");
    }

    private static string Row(string operation, int width, TimeSpan elapsed, TimeSpan wall, string calls) =>
        Invariant($"  {operation.PadRight(width)} {elapsed.TotalMilliseconds,10:F1} ms {100 * (elapsed / wall),6:F1} % {calls,8}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
