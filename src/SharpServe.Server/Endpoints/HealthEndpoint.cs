using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Hosting;

namespace SharpServe.Server.Endpoints;

/// <summary>
/// GET /health: 200 only while the engine can serve. Like vLLM it answers 503 while the model is loading;
/// unlike vLLM (which answers 200 for a hung engine) it also answers 503 once the engine loop died or a step
/// has not finished within the stall timeout, so a router stops sending it traffic.
/// </summary>
public static class HealthEndpoint
{
    public static void Map(WebApplication app, ServedModelSlot slot, TimeSpan stallTimeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(slot);
        app.MapGet("/health", () => slot.Ready?.Engine switch
        {
            null => Unhealthy("the model is loading"),
            { IsLoopAlive: false } => Unhealthy("the engine loop has stopped"),
            var engine when engine.TimeWithoutProgress > stallTimeout => Unhealthy($"the engine has made no progress for {engine.TimeWithoutProgress.TotalSeconds:F0} s with requests pending"),
            _ => Results.Ok(),
        });
    }

    private static IResult Unhealthy(string reason) => Results.Text(reason, statusCode: StatusCodes.Status503ServiceUnavailable);
}
