using ScottPlot;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// The PNG chart: for a sweep, P50/P99 TTFT and E2EL (left axis) and output throughput (right axis) per
/// concurrency level; for a single run, the CDF of TTFT and E2EL over its requests.
/// </summary>
public static class ServeBenchChart
{
    private const int Width = 1000;
    private const int Height = 600;

    public static void Write(string path, IReadOnlyList<ServeLevelResult> levels, string title)
    {
        ArgumentNullException.ThrowIfNull(levels);
        using var plot = new Plot();
        plot.Title(title);
        if (levels.Count > 1)
        {
            Sweep(plot, levels);
        }
        else
        {
            Cdf(plot, levels[0]);
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    private static void Sweep(Plot plot, IReadOnlyList<ServeLevelResult> levels)
    {
        double[] x = [.. levels.Select(l => (double)(l.MaxConcurrency ?? 0))];
        Line(plot, x, [.. levels.Select(l => l.Ttft.MedianMs)], "TTFT P50 (ms)");
        Line(plot, x, [.. levels.Select(l => l.Ttft.P99Ms)], "TTFT P99 (ms)");
        Line(plot, x, [.. levels.Select(l => l.E2el.MedianMs)], "E2EL P50 (ms)");
        Line(plot, x, [.. levels.Select(l => l.E2el.P99Ms)], "E2EL P99 (ms)");
        var throughput = Line(plot, x, [.. levels.Select(l => l.OutputThroughput)], "output tok/s (right axis)");
        throughput.Axes.YAxis = plot.Axes.Right;
        throughput.LinePattern = LinePattern.Dashed;
        plot.XLabel("max concurrency");
        plot.YLabel("latency (ms)");
        plot.Axes.Right.Label.Text = "output tokens/s";
    }

    private static void Cdf(Plot plot, ServeLevelResult level)
    {
        CdfLine(plot, level.TtftsMs, "TTFT");
        CdfLine(plot, level.E2elsMs, "E2EL");
        plot.XLabel("latency (ms)");
        plot.YLabel("fraction of requests");
        plot.Axes.SetLimitsY(0, 1.05);
    }

    private static void CdfLine(Plot plot, IReadOnlyList<double> samples, string name)
    {
        double[] sorted = [.. samples.Order()];
        if (sorted.Length == 0)
        {
            return;
        }

        double[] fraction = [.. Enumerable.Range(1, sorted.Length).Select(i => (double)i / sorted.Length)];
        var line = plot.Add.ScatterLine(sorted, fraction);
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LegendText = name;
    }

    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] x, double[] y, string name)
    {
        var line = plot.Add.Scatter(x, y);
        line.LegendText = name;
        return line;
    }
}
