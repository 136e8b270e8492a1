using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Json;

namespace SharpServe.Server.Generation;

/// <summary>OpenAI's streaming framing: <c>data: {json}\n\n</c> events, closed by <c>data: [DONE]\n\n</c>.</summary>
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

    private static async Task WriteDataAsync(HttpResponse response, string data, CancellationToken cancellation)
    {
        await response.WriteAsync($"data: {data}\n\n", cancellation);
        await response.Body.FlushAsync(cancellation);
    }
}
