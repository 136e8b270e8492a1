using System.Globalization;
using System.Text;

namespace SharpServe.Server.Metrics;

/// <summary>
/// Writes metric families in the Prometheus text format. vLLM's names contain ':' (legal in Prometheus, where
/// it marks recording rules) which prometheus-net refuses, so the vLLM families are written here.
/// </summary>
public sealed class PrometheusTextWriter(string constantLabels)
{
    private readonly StringBuilder _text = new();

    public override string ToString() => _text.ToString();

    public void Family(string name, string type, string help) =>
        _text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    /// <param name="labels">Extra labels, already formatted as <c>k="v"</c> pairs, or empty.</param>
    public void Sample(string name, double value, string labels = "")
    {
        string all = labels.Length == 0 ? constantLabels : $"{constantLabels},{labels}";
        _text.Append(CultureInfo.InvariantCulture, $"{name}{{{all}}} {Format(value)}\n");
    }

    public static string Label(string name, string value) =>
        $"{name}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"";

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);
}
