namespace SharpServe.Fleet.Gateway;

/// <summary>The gateway's upstreams, and which of them may take a request for a given model.</summary>
public sealed class UpstreamSet(IReadOnlyList<UpstreamState> all)
{
    public IReadOnlyList<UpstreamState> All { get; } = all;

    public bool AnyHealthy => All.Any(upstream => upstream.IsHealthy);

    /// <summary>The names served by any upstream, sorted: what GET /v1/models lists.</summary>
    public IReadOnlyList<string> ModelNames => [.. All.SelectMany(upstream => upstream.Models).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Healthy upstreams serving <paramref name="model"/> (any model when null), minus those already tried.</summary>
    public IReadOnlyList<UpstreamState> Eligible(string? model, IReadOnlyCollection<UpstreamState> tried) =>
        [.. All.Where(upstream => upstream.IsHealthy && (model is null || upstream.Serves(model)) && !tried.Contains(upstream))];
}
