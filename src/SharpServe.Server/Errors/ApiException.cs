using Microsoft.AspNetCore.Http;

namespace SharpServe.Server.Errors;

/// <summary>A request the server refuses, carrying the HTTP status and OpenAI error fields to answer with.</summary>
public sealed class ApiException(int statusCode, string message, string? param = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string? Param { get; } = param;

    public static ApiException BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, message, param);

    public static ApiException NotFound(string message, string? param = null) => new(StatusCodes.Status404NotFound, message, param);

    public static ApiException ServiceUnavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, message);
}
