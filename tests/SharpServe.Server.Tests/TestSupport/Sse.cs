using System.Text.Json;

namespace SharpServe.Server.Tests.TestSupport;

/// <summary>Reads a whole SSE response body as its data payloads, checking the framing on the way.</summary>
public static class Sse
{
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        string[] events = body[..^2].Split("\n\n");
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        return [.. events.Select(e => e["data: ".Length..])];
    }

    /// <summary>The JSON chunks before the closing [DONE], which must be last.</summary>
    public static async Task<List<JsonElement>> ReadChunksAsync(HttpResponseMessage response)
    {
        var events = await ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        return [.. events[..^1].Select(e => JsonDocument.Parse(e).RootElement)];
    }
}
