using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway.History;

/// <summary>GET /fleet/history: the sampling interval, the window and the samples in it, oldest first.</summary>
internal sealed class FleetHistoryEndpoint(FleetHistory history, TimeSpan interval)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        var body = new History(interval.TotalSeconds, history.Window.TotalSeconds, history.Snapshot());
        await JsonSerializer.SerializeAsync(context.Response.Body, body, Json, context.RequestAborted);
    }

    private sealed record History(double IntervalSeconds, double WindowSeconds, IReadOnlyList<FleetSample> Samples);
}
