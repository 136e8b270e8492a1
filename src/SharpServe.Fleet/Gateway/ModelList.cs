using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway;

/// <summary>GET /v1/models answered by the gateway: every name some upstream serves, in OpenAI's list format.</summary>
internal static class ModelList
{
    public static Task WriteAsync(HttpResponse response, IReadOnlyList<string> names, TimeProvider time)
    {
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new
        {
            @object = "list",
            data = names.Select(name => new { id = name, @object = "model", created, owned_by = "sharpserve" }),
        }));
    }
}
