using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SharpServe.Fleet.Gateway.History;
using Yarp.ReverseProxy.Forwarder;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Forwards one request with YARP's <see cref="IHttpForwarder"/>: buffers the body (for the model name and for a
/// retry), picks an eligible upstream with the routing policy, and when the attempt fails before any response
/// byte reached the client, marks that upstream unhealthy and retries once on another one.
/// </summary>
internal sealed class GatewayProxy(
    UpstreamSet upstreams,
    IRoutingPolicy policy,
    IHttpForwarder forwarder,
    HttpMessageInvoker invoker,
    GatewayMetrics metrics,
    RequestLatencies latencies,
    GatewayOptions options,
    TimeProvider time,
    Action<string> log)
{
    private const int MaxAttempts = 2;

    private readonly ForwarderRequestConfig _config = new()
    {
        ActivityTimeout = options.UpstreamActivityTimeout,
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    public async Task HandleAsync(HttpContext context)
    {
        byte[]? body = await ReadBodyAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            metrics.Rejected("body_too_large");
            await OpenAiErrors.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
                $"The request body is larger than the gateway's limit of {options.MaxRequestBodyBytes} bytes.");
            return;
        }

        RequestFacts facts = HttpMethods.IsPost(context.Request.Method) ? RequestFacts.Parse(body) : RequestFacts.None;
        if (!upstreams.AnyHealthy)
        {
            await NoUpstreamAsync(context, "No instance is healthy right now.");
            return;
        }

        if (facts.Model is { } model && !upstreams.All.Any(upstream => upstream.Serves(model)))
        {
            metrics.Rejected("unknown_model");
            await OpenAiErrors.WriteAsync(context.Response, StatusCodes.Status404NotFound, "NotFoundError",
                $"The model `{model}` does not exist. Served models: {string.Join(", ", upstreams.ModelNames)}.");
            return;
        }

        var tried = new List<UpstreamState>(MaxAttempts);
        while (true)
        {
            IReadOnlyList<UpstreamState> candidates = upstreams.Eligible(facts.Model, tried);
            if (candidates.Count == 0)
            {
                await NoUpstreamAsync(context, facts.Model is null ? "No instance is healthy right now." : $"No healthy instance serves `{facts.Model}` right now.");
                return;
            }

            UpstreamState upstream = policy.Choose(candidates, facts.PromptPrefix);
            tried.Add(upstream);
            string? failure = await ForwardAsync(context, upstream, body);
            if (failure is null)
            {
                return;
            }

            if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            if (tried.Count == MaxAttempts || upstreams.Eligible(facts.Model, tried).Count == 0)
            {
                context.Response.Clear();
                await OpenAiErrors.WriteAsync(context.Response, StatusCodes.Status502BadGateway, "upstream_error",
                    $"The instance could not be reached: {failure}");
                return;
            }

            upstream.CountRetry();
            metrics.Retry(upstream);
            log($"Retrying {context.Request.Method} {context.Request.Path} elsewhere: {upstream.Id} failed ({failure})");
            ResetForRetry(context);
        }
    }

    /// <returns>Null when the upstream answered (whatever its status); else why it could not be reached.</returns>
    private async Task<string?> ForwardAsync(HttpContext context, UpstreamState upstream, byte[] body)
    {
        context.Request.Body = new MemoryStream(body, writable: false);
        var transformer = new UpstreamTransformer(upstream, metrics, options, time);
        upstream.BeginRequest();
        long started = time.GetTimestamp();
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, upstream.Upstream.Address.AbsoluteUri, invoker, _config, transformer);
        }
        finally
        {
            upstream.EndRequest();
        }

        string? failure = error switch
        {
            ForwarderError.None => transformer.Failure,
            _ when IsUpstreamFault(error) => context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString(),
            _ => null,
        };
        if (failure is not null)
        {
            upstream.Health.PassiveFailure(failure);
            log($"Upstream {upstream.Id} failed a request ({failure}); out of rotation until a probe succeeds");
        }

        if (failure is null && error == ForwarderError.None)
        {
            // The whole request as the client saw it from here: a stream's latency runs to its last event.
            latencies.Record(upstream.Id, time.GetElapsedTime(started));
        }

        metrics.Request(upstream, failure is null || transformer.FailedMidStream || context.Response.HasStarted
            ? context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "error");
        return error == ForwarderError.None && !transformer.FailedBeforeBody ? null : failure;
    }

    // Faults on the instance's side (refused, reset, timed out, cut off); the client's own cancels are not. In YARP's
    // names the "destination" is the instance both ways: ResponseBodyDestination is a failed read of its body.
    private static bool IsUpstreamFault(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination;

    private static void ResetForRetry(HttpContext context)
    {
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Features.Set<IForwarderErrorFeature>(null);
    }

    private Task NoUpstreamAsync(HttpContext context, string message)
    {
        metrics.Rejected("no_upstream");
        return OpenAiErrors.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableError",
            message, options.NoUpstreamRetryAfterSeconds);
    }

    /// <returns>The whole body, or null when it is longer than <paramref name="maxBytes"/>.</returns>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellation)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
