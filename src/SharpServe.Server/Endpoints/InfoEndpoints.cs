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
    public static void Map(WebApplication app, ServedModel served)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(served);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var models = new ModelList([.. served.Names.Select(name => new ModelCard(name, created, served.Names[0], served.MaxModelLen))]);
        app.MapGet("/v1/models", () => Results.Json(models, ServerJson.Options));

        string version = typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        app.MapGet("/version", () => Results.Json(new { version }, ServerJson.Options));
    }
}
