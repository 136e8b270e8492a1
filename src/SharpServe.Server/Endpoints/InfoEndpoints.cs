using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Hosting;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>GET /v1/models and /version.</summary>
public static class InfoEndpoints
{
    public static void Map(WebApplication app, ServedModelSlot slot)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(slot);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        app.MapGet("/v1/models", () => Results.Json(Models(slot.Current, created), ServerJson.Options));

        string version = typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        app.MapGet("/version", () => Results.Json(new { version }, ServerJson.Options));
    }

    private static ModelList Models(ServedModel served, long created) =>
        new([.. served.Names.Select(name => new ModelCard(name, created, served.Names[0], served.MaxModelLen))]);
}
