using System.Net.Http.Headers;
using System.Text.Json;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Probes every upstream's GET /health each interval (all at once, each bounded by the timeout, so an instance
/// that keeps its port open but never answers counts as failed) and reports to each one's <see cref="HealthJudge"/>.
/// An upstream without fixed model names has them read from its GET /v1/models before it first becomes healthy
/// and again whenever it comes back (a restarted instance may serve other names).
/// </summary>
public sealed class HealthProber : IAsyncDisposable
{
    private readonly IReadOnlyList<UpstreamState> _upstreams;
    private readonly HttpClient _client;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly BackgroundLoop _loop;

    public HealthProber(IReadOnlyList<UpstreamState> upstreams, HttpClient client, GatewayOptions options, TimeProvider time, Action<string> log)
    {
        _upstreams = upstreams;
        _client = client;
        _options = options;
        _time = time;
        _loop = new BackgroundLoop(ProbeAllAsync, options.HealthInterval, time, firstRoundAtOnce: true);
        _log = log;
    }

    public void Start() => _loop.Start();

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    /// <summary>One round: every upstream probed once, concurrently.</summary>
    public Task ProbeAllAsync(CancellationToken cancellation) => Task.WhenAll(_upstreams.Select(upstream => ProbeAsync(upstream, cancellation)));

    private async Task ProbeAsync(UpstreamState upstream, CancellationToken stop)
    {
        HealthState before = upstream.Health.State;
        string? error = await TryProbeAsync(upstream, stop);
        if (stop.IsCancellationRequested)
        {
            return;
        }

        if (error is null)
        {
            if (upstream.Health.ProbeSucceeded())
            {
                _log($"Upstream {upstream.Id} ({upstream.Upstream.Address}) is healthy, serving {string.Join(", ", upstream.Models)}");
            }

            return;
        }

        upstream.Health.ProbeFailed(error);
        if (before != HealthState.Unhealthy && upstream.Health.State == HealthState.Unhealthy)
        {
            _log($"Upstream {upstream.Id} ({upstream.Upstream.Address}) is unhealthy: {error}");
        }
    }

    /// <returns>Null when healthy, else why not.</returns>
    private async Task<string?> TryProbeAsync(UpstreamState upstream, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(_options.HealthTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop);
        try
        {
            using var response = await _client.GetAsync(new Uri(upstream.Upstream.Address, "health"), HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                return $"/health answered {(int)response.StatusCode}";
            }

            if (upstream.DiscoversModels && !upstream.IsHealthy)
            {
                upstream.SetModels(await FetchModelsAsync(upstream, linked.Token));
            }

            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return $"no answer within {_options.HealthTimeout.TotalSeconds:0.###} s";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return "stopping";
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return e.Message;
        }
    }

    private async Task<IReadOnlyList<string>> FetchModelsAsync(UpstreamState upstream, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(upstream.Upstream.Address, "v1/models"));
        if (_options.UpstreamApiKey is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await _client.SendAsync(request, cancellation);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"/v1/models answered {(int)response.StatusCode}");
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellation));
        var names = new List<string>();
        foreach (JsonElement model in document.RootElement.GetProperty("data").EnumerateArray())
        {
            names.Add(model.GetProperty("id").GetString() ?? throw new InvalidOperationException("/v1/models: a model without an id"));
        }

        return names;
    }
}
