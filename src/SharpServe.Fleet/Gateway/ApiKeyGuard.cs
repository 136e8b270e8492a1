using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Requires <c>Authorization: Bearer KEY</c> with one of the keys on the API routes and /fleet/status; /health
/// and /metrics stay open, as vLLM's do. The accepted key is left in <see cref="HttpContext.Items"/> for the rate limiter.
/// </summary>
internal sealed class ApiKeyGuard(IReadOnlyList<string> keys, GatewayMetrics metrics)
{
    public const string KeyItem = "sharpserve.gateway.api_key";

    private readonly byte[][] _keys = [.. keys.Select(Encoding.UTF8.GetBytes)];

    public static bool IsGuarded(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize") || path.StartsWithSegments("/detokenize") || path.StartsWithSegments("/fleet");

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_keys.Length == 0 || !IsGuarded(context.Request.Path))
        {
            await next(context);
            return;
        }

        string header = context.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        byte[]? given = header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()) : null;

        // Fixed-time comparison, so response timing does not reveal how much of a guessed key matched.
        string? matched = given is null ? null : keys.Where((_, i) => CryptographicOperations.FixedTimeEquals(_keys[i], given)).FirstOrDefault();
        if (matched is null)
        {
            metrics.Rejected("unauthorized");
            await OpenAiErrors.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, "invalid_request_error",
                "Missing or invalid API key: send it as 'Authorization: Bearer KEY'.");
            return;
        }

        context.Items[KeyItem] = matched;
        await next(context);
    }
}
