using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using SharpServe.Server.Endpoints;
using SharpServe.Server.Errors;
using SharpServe.Server.Security;

namespace SharpServe.Server.Hosting;

/// <summary>
/// The OpenAI-compatible HTTP server over one <see cref="ServedModel"/>, on Kestrel. It can start before the
/// model is ready: until the slot is filled, /health and the model routes answer 503.
/// </summary>
public sealed class SharpServeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SharpServeServer(WebApplication app)
    {
        _app = app;
        Url = new Uri(app.Urls.First());
    }

    /// <summary>The address it listens on, with the real port when 0 was asked for.</summary>
    public Uri Url { get; }

    /// <exception cref="IOException">The address cannot be bound (e.g. the port is in use).</exception>
    public static async Task<SharpServeServer> StartAsync(ServedModelSlot slot, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(options);

        // No args, so nothing from the command line or the working directory's settings reconfigures it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // A failed start (e.g. the port in use) is reported by the caller as one line, not as the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");

        // On SIGTERM Kestrel stops accepting connections and waits this long for the requests in flight.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainTimeout);
        var app = builder.Build();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<DrainingMiddleware>();
        app.UseRouting();
        app.UseHttpMetrics(http => http.ConfigureMeasurements(measurement => measurement.Registry = slot.Metrics.Registry));
        if (options.ApiKey is { } key)
        {
            app.UseMiddleware<ApiKeyMiddleware>(key);
        }

        app.MapGet("/metrics", (HttpContext context) => slot.Metrics.WriteAsync(context.Response, slot.Ready));
        HealthEndpoint.Map(app, slot, options.EngineStallTimeout);
        InfoEndpoints.Map(app, slot);
        CompletionEndpoints.Map(app, slot, options.KeepAliveInterval);
        ChatEndpoints.Map(app, slot, options);
        TokenizerEndpoints.Map(app, slot);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new SharpServeServer(app);
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
