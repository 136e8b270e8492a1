using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Errors;

namespace SharpServe.Server.Security;

/// <summary>
/// With --api-key, every inference route (/v1/*, /tokenize, /detokenize) needs "Authorization: Bearer KEY".
/// Keys are compared as SHA-256 digests in constant time, so neither the content nor the length of the
/// key leaks through timing; keys are never logged.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, string apiKey)
{
    private const string BearerPrefix = "Bearer ";

    private static readonly PathString[] ProtectedPaths = ["/v1", "/tokenize", "/detokenize"];

    private readonly byte[] _expectedDigest = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    public Task InvokeAsync(HttpContext context)
    {
        if (!ProtectedPaths.Any(path => context.Request.Path.StartsWithSegments(path)) || Authorized(context.Request))
        {
            return next(context);
        }

        return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, "missing or invalid API key");
    }

    private bool Authorized(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..]));
        return CryptographicOperations.FixedTimeEquals(digest, _expectedDigest);
    }
}
