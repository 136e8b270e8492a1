using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway;

/// <summary>Errors the gateway answers itself, in OpenAI's format (as vLLM writes them), so SDK clients surface the message.</summary>
public static class OpenAiErrors
{
    public static Task WriteAsync(HttpResponse response, int statusCode, string type, string message, int? retryAfterSeconds = null)
    {
        response.StatusCode = statusCode;
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json";
        return response.WriteAsync(Json(statusCode, type, message));
    }

    /// <summary><c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    public static string Json(int code, string type, string message) => JsonSerializer.Serialize(new
    {
        error = new { message, type, param = (string?)null, code },
    });
}
