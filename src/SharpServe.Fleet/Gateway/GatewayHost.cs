using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpServe.Fleet.Gateway.Dashboard;
using SharpServe.Fleet.Gateway.History;
using Yarp.ReverseProxy.Forwarder;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// The fleet gateway: an OpenAI-compatible front (Kestrel, YARP forwarding) over several instances, routing each
/// request to a healthy instance that serves its model. Runs beside the supervisor or alone in front of URLs.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HealthProber _prober;
    private readonly FleetSampler _sampler;
    private readonly HttpMessageInvoker _invoker;
    private readonly HttpClient _probeClient;
    private readonly X509Certificate2? _certificate;

    private GatewayHost(WebApplication app, HealthProber prober, FleetSampler sampler, HttpMessageInvoker invoker, HttpClient probeClient, X509Certificate2? certificate)
    {
        _app = app;
        _prober = prober;
        _sampler = sampler;
        _invoker = invoker;
        _probeClient = probeClient;
        _certificate = certificate;
        Url = new Uri(app.Urls.First());
    }

    /// <summary>The address it listens on, with the real port when 0 was asked for.</summary>
    public Uri Url { get; }

    /// <param name="processes">The supervisor's view of its instances, for /fleet/status and the sharpserve_fleet_* metrics; null in front of remote URLs.</param>
    /// <param name="log">Health transitions and retries, one line each.</param>
    /// <exception cref="ArgumentException">Bad options (routing policy, host, certificate) or duplicate upstream ids.</exception>
    /// <exception cref="IOException">The address cannot be bound.</exception>
    public static async Task<GatewayHost> StartAsync(GatewayOptions options, IReadOnlyList<Upstream> upstreams,
        IInstanceProcesses? processes = null, TimeProvider? time = null, Action<string>? log = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(upstreams);
        time ??= TimeProvider.System;
        log ??= _ => { };
        if (upstreams.Count == 0)
        {
            throw new ArgumentException("The gateway needs at least one upstream");
        }

        if (upstreams.GroupBy(upstream => upstream.Id).FirstOrDefault(group => group.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"Upstream id '{duplicate.Key}' is given twice");
        }

        IRoutingPolicy policy = RoutingPolicies.Create(options.Routing, options.PrefixAffinityMaxImbalance, random);
        IPAddress address = ParseHost(options.Host);
        X509Certificate2? certificate = options.TlsCertificatePath is { } certificatePath ? GatewayCertificate.Load(certificatePath, options.TlsKeyPath) : null;
        var set = new UpstreamSet([.. upstreams.Select(upstream => new UpstreamState(upstream))]);
        var metrics = new GatewayMetrics(set.All, processes);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // YARP reports each failed forward as a warning; the gateway logs its own line (and retries), so only errors show.
        builder.Logging.AddFilter("Yarp", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, options.Port, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Services.AddHttpForwarder();
        if (options.RateLimitPerMinute is { } rpm)
        {
            builder.Services.AddRateLimiter(limiter => GatewayRateLimits.Configure(limiter, rpm, metrics));
        }

        var app = builder.Build();
        var invoker = CreateForwardingInvoker(options.ConnectTimeout);
        var probeClient = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, ConnectTimeout = options.HealthTimeout })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var latencies = new RequestLatencies(set.All.Select(upstream => upstream.Id));
        var history = new FleetHistory(options.HistoryWindow);
        var proxy = new GatewayProxy(set, policy, app.Services.GetRequiredService<IHttpForwarder>(), invoker, metrics, latencies, options, time, log);
        var status = new FleetStatus(set, policy, processes, probeClient, options, time);
        var guard = new ApiKeyGuard(options.ApiKeys, metrics);

        app.Use(guard.InvokeAsync);
        if (options.RateLimitPerMinute is not null)
        {
            app.UseRateLimiter();
        }

        app.MapGet("/health", (HttpContext context) => context.Response.StatusCode = set.AnyHealthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/metrics", (HttpContext context) => metrics.WriteAsync(context.Response));
        app.MapGet("/fleet/status", status.WriteAsync);
        app.MapGet("/fleet/history", new FleetHistoryEndpoint(history, options.HistoryInterval).WriteAsync);
        app.MapGet("/dashboard", DashboardPage.WriteAsync);
        app.MapGet("/v1/models", (HttpContext context) => ModelList.WriteAsync(context.Response, set.ModelNames, time));
        app.Map("/v1/{**path}", proxy.HandleAsync);
        app.Map("/tokenize", proxy.HandleAsync);
        app.Map("/detokenize", proxy.HandleAsync);

        var prober = new HealthProber(set.All, probeClient, options, time, log);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            invoker.Dispose();
            probeClient.Dispose();
            certificate?.Dispose();
            throw;
        }

        prober.Start();
        var sampler = new FleetSampler(set.All, new HttpInstanceScraper(probeClient, options.HealthTimeout, time), latencies, history, options.HistoryInterval, time);
        sampler.Start();
        return new GatewayHost(app, prober, sampler, invoker, probeClient, certificate);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _prober.DisposeAsync();
        await _sampler.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _invoker.Dispose();
        _probeClient.Dispose();
        _certificate?.Dispose();
    }

    // As YARP recommends for forwarding: no proxy, redirects, decompression or cookies (the client handles those);
    // a short connect timeout, so a dead instance fails fast and the request is retried elsewhere.
    private static HttpMessageInvoker CreateForwardingInvoker(TimeSpan connectTimeout) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = connectTimeout,
        EnableMultipleHttp2Connections = true,
    });

    private static IPAddress ParseHost(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(host, out IPAddress? parsed) => parsed,
        _ => throw new ArgumentException($"--host: '{host}' is not an IP address (use 0.0.0.0 for every interface)"),
    };
}
