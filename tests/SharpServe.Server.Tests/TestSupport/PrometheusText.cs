using System.Globalization;

namespace SharpServe.Server.Tests.TestSupport;

/// <summary>Reads samples out of a Prometheus text exposition, the way a scraper sees them.</summary>
public static class PrometheusText
{
    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (k="v").</summary>
    public static double Value(string exposition, string name, params string[] labels)
    {
        var matches = Samples(exposition, name).Where(sample => labels.All(sample.Labels.Contains)).ToList();
        Assert.True(matches.Count == 1, $"expected one sample {name} with {string.Join(",", labels)}, found {matches.Count} in:\n{exposition}");
        return matches[0].Value;
    }

    public static IEnumerable<(string Labels, double Value)> Samples(string exposition, string name)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            yield return (line[name.Length..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }
    }
}
