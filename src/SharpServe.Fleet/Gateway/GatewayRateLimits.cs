using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// Requests per minute per API key (per client IP when the gateway has no keys), on the guarded routes only,
/// with ASP.NET Core's rate limiter; a request over the limit gets 429 with Retry-After and an OpenAI error.
/// </summary>
internal static class GatewayRateLimits
{
    public static void Configure(RateLimiterOptions limiter, int requestsPerMinute, GatewayMetrics metrics)
    {
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (!ApiKeyGuard.IsGuarded(context.Request.Path))
            {
                return RateLimitPartition.GetNoLimiter("open");
            }

            string partition = context.Items[ApiKeyGuard.KeyItem] is string key
                ? "key:" + key
                : "ip:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = requestsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            });
        });
        limiter.OnRejected = async (rejected, cancellation) =>
        {
            metrics.Rejected("rate_limited");
            int retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
            await OpenAiErrors.WriteAsync(rejected.HttpContext.Response, StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
                $"Rate limit of {requestsPerMinute.ToString(CultureInfo.InvariantCulture)} requests per minute reached; retry after {retryAfter} s.", retryAfter);
        };
    }
}
