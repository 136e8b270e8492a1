using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using SharpServe.Server.Errors;

namespace SharpServe.Server.Hosting;

/// <summary>
/// Once shutdown has begun, requests that still arrive (on kept-alive connections) get 503 with Retry-After,
/// so a load balancer retries them elsewhere while the requests already running drain.
/// </summary>
public sealed class DrainingMiddleware(RequestDelegate next, IHostApplicationLifetime lifetime)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return next(context);
        }

        context.Response.Headers.Connection = "close";
        return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "the server is shutting down");
    }
}
