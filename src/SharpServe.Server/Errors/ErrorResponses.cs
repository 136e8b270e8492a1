using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Templates;
using SharpServe.Server.Json;

namespace SharpServe.Server.Errors;

/// <summary>Maps what a request can fail with to an HTTP status and writes it as an OpenAI error object.</summary>
public static class ErrorResponses
{
    /// <summary>Seconds a client refused for a full queue should wait: about one request's worth of engine steps.</summary>
    private const string RetryAfterSeconds = "1";

    /// <summary>The status for an expected failure, or null for a server fault.</summary>
    public static int? StatusOf(Exception exception) => exception switch
    {
        ApiException api => api.StatusCode,
        BadHttpRequestException bad => bad.StatusCode, // Kestrel's own refusals, e.g. 413 for an oversized body
        JsonException or ArgumentException or RequestTooLongException or TemplateException => StatusCodes.Status400BadRequest,
        EngineQueueFullException => StatusCodes.Status429TooManyRequests,
        _ => null,
    };

    public static Task WriteAsync(HttpResponse response, int statusCode, string message, string? param = null)
    {
        response.StatusCode = statusCode;
        if (statusCode is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = RetryAfterSeconds;
        }

        var body = new ErrorBody(new ErrorDetail(message, TypeOf(statusCode), param, statusCode));
        return response.WriteAsJsonAsync(body, ServerJson.Options);
    }

    /// <summary>vLLM's error type names, which follow the OpenAI Python client's exception classes.</summary>
    private static string TypeOf(int statusCode) => statusCode switch
    {
        StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge => "BadRequestError",
        StatusCodes.Status401Unauthorized => "AuthenticationError",
        StatusCodes.Status404NotFound => "NotFoundError",
        StatusCodes.Status429TooManyRequests => "RateLimitError",
        StatusCodes.Status503ServiceUnavailable => "ServiceUnavailableError",
        _ => "InternalServerError",
    };
}
