using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpServe.Server.Endpoints;
using SharpServe.Server.Errors;
using SharpServe.Server.Security;

namespace SharpServe.Server.Hosting;

/// <summary>The OpenAI-compatible HTTP server over one <see cref="ServedModel"/>, on Kestrel.</summary>
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
    public static async Task<SharpServeServer> StartAsync(ServedModel served, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(options);

        // No args, so nothing from the command line or the working directory's settings reconfigures it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // A failed start (e.g. the port in use) is reported by the caller as one line, not as the host's stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        var app = builder.Build();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        if (options.ApiKey is { } key)
        {
            app.UseMiddleware<ApiKeyMiddleware>(key);
        }

        InfoEndpoints.Map(app, served);
        CompletionEndpoints.Map(app, served);
        ChatEndpoints.Map(app, served);
        TokenizerEndpoints.Map(app, served);
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
