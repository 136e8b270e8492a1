using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Endpoints;

/// <summary>
/// GET /health: 200 only while the engine can serve. A router must not send traffic to an engine whose loop
/// died or whose step has not finished within the stall timeout (vLLM answers 200 for a hung engine).
/// The server starts listening only after the model is loaded, so there is no loading phase to report.
/// </summary>
public static class HealthEndpoint
{
    public static void Map(WebApplication app, LlmEngine engine, TimeSpan stallTimeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(engine);
        app.MapGet("/health", () =>
            !engine.IsLoopAlive ? Unhealthy("the engine loop has stopped")
            : engine.TimeWithoutProgress > stallTimeout ? Unhealthy($"the engine has made no progress for {engine.TimeWithoutProgress.TotalSeconds:F0} s with requests pending")
            : Results.Ok());
    }

    private static IResult Unhealthy(string reason) => Results.Text(reason, statusCode: StatusCodes.Status503ServiceUnavailable);
}
