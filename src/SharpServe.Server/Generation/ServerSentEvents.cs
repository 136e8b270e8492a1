using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Json;

namespace SharpServe.Server.Generation;

/// <summary>OpenAI's streaming framing: <c>data: {json}\n\n</c> events, closed by <c>data: [DONE]\n\n</c>, with comment lines between.</summary>
public static class ServerSentEvents
{
    public static Task StartAsync(HttpResponse response, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";

        // Send the headers now, so the client knows the request was accepted while the prompt is computed.
        return response.StartAsync(cancellation);
    }

    public static Task WriteAsync(HttpResponse response, object payload, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return WriteDataAsync(response, JsonSerializer.Serialize(payload, payload.GetType(), ServerJson.Options), cancellation);
    }

    public static Task WriteDoneAsync(HttpResponse response, CancellationToken cancellation) =>
        WriteDataAsync(response, "[DONE]", cancellation);

    /// <summary>A comment line: clients ignore it, proxies see traffic.</summary>
    public static Task WriteKeepAliveAsync(HttpResponse response, CancellationToken cancellation) =>
        WriteRawAsync(response, ": keep-alive\n\n", cancellation);

    private static Task WriteDataAsync(HttpResponse response, string data, CancellationToken cancellation) =>
        WriteRawAsync(response, $"data: {data}\n\n", cancellation);

    private static async Task WriteRawAsync(HttpResponse response, string text, CancellationToken cancellation)
    {
        await response.WriteAsync(text, cancellation);
        await response.Body.FlushAsync(cancellation);
    }
}
