using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// YARP's request and response transforms for one attempt on one upstream: drops the client's Authorization
/// (the gateway's key is not the instances'), adds the upstream key, times the upstream's response headers, and
/// copies server-sent event streams itself, flushing each read at once, so that an upstream dying mid-stream
/// ends the client's stream with an error event instead of a cut connection.
/// </summary>
internal sealed class UpstreamTransformer(UpstreamState upstream, GatewayMetrics metrics, GatewayOptions options, TimeProvider time) : HttpTransformer
{
    private readonly long _started = time.GetTimestamp();

    /// <summary>The upstream failed before any byte of its event stream reached the client, so the request may be retried.</summary>
    public bool FailedBeforeBody { get; private set; }

    /// <summary>The upstream failed after its event stream started; the client got an error event.</summary>
    public bool FailedMidStream { get; private set; }

    public string? Failure { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Authorization = options.UpstreamApiKey is { } key ? new AuthenticationHeaderValue("Bearer", key) : null;
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        metrics.Latency(upstream, time.GetElapsedTime(_started));
        bool copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (!copyBody || proxyResponse.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return copyBody;
        }

        await CopyEventStreamAsync(httpContext, proxyResponse);
        return false;
    }

    // YARP's activity timeout counts from the response headers, not per read, so the stream keeps its own idle limit.
    private async Task CopyEventStreamAsync(HttpContext httpContext, HttpResponseMessage proxyResponse)
    {
        CancellationToken clientGone = httpContext.RequestAborted;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        bool wroteAny = false;
        try
        {
            await using Stream source = await proxyResponse.Content.ReadAsStreamAsync(clientGone);
            while (true)
            {
                int read;
                try
                {
                    idle.CancelAfter(options.UpstreamActivityTimeout);
                    read = await source.ReadAsync(buffer, idle.Token);
                }
                catch (Exception e) when (!clientGone.IsCancellationRequested && e is IOException or HttpRequestException or OperationCanceledException)
                {
                    Failure = e is OperationCanceledException ? $"no event within {options.UpstreamActivityTimeout}" : e.Message;
                    if (!wroteAny && !httpContext.Response.HasStarted)
                    {
                        FailedBeforeBody = true;
                        return;
                    }

                    FailedMidStream = true;
                    await WriteErrorEventAsync(httpContext.Response, clientGone);
                    return;
                }

                if (read == 0)
                {
                    return;
                }

                await httpContext.Response.Body.WriteAsync(buffer.AsMemory(0, read), clientGone);
                await httpContext.Response.Body.FlushAsync(clientGone);
                wroteAny = true;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client left mid-stream: nothing more to send it, and nothing is wrong with the upstream.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// As vLLM ends a stream that failed: an event whose data is an OpenAI error object (the OpenAI SDKs raise it
    /// as an API error), then [DONE] for clients that only watch for the end.
    /// </summary>
    private static async Task WriteErrorEventAsync(HttpResponse response, CancellationToken cancellation)
    {
        string error = OpenAiErrors.Json(StatusCodes.Status502BadGateway, "upstream_error",
            "The instance serving this stream failed mid-response; the output is incomplete.");
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {error}\n\ndata: [DONE]\n\n"), cancellation);
        await response.Body.FlushAsync(cancellation);
    }
}
