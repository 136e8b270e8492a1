using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Errors;

namespace SharpServe.Server.Json;

/// <summary>The wire format: snake_case names as in OpenAI's API, strict types, unknown fields ignored as vLLM does.</summary>
public static class ServerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,

        // Text as UTF-8, not \uXXXX escapes: these bodies are JSON for API clients, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The request body as <typeparamref name="T"/>; malformed JSON, wrong types or a null body are a 400.</summary>
    public static async Task<T> ReadBodyAsync<T>(HttpContext context)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Options, context.RequestAborted)
                ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException exception)
        {
            string? field = exception.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
            throw ApiException.BadRequest($"invalid JSON body: {Describe(exception, field)}", field);
        }
    }

    /// <summary>The serializer's own messages name .NET types; clients need the field and what was wrong.</summary>
    private static string Describe(JsonException exception, string? field)
    {
        const string conversionFailure = "The JSON value could not be converted";
        string message = exception.Message;
        int details = message.IndexOf(" Path: ", StringComparison.Ordinal);
        message = details >= 0 ? message[..details] : message;
        return message.StartsWith(conversionFailure, StringComparison.Ordinal) && field is not null
            ? $"'{field}' has the wrong type"
            : message;
    }
}
