using Microsoft.AspNetCore.Http;

namespace SharpServe.Fleet.Gateway.Dashboard;

/// <summary>
/// GET /dashboard: one static page (HTML with its script and styles inline) embedded in this assembly. It holds no
/// data, so it needs no key; its script reads /fleet/status and /fleet/history, with the key the user gives it.
/// </summary>
internal static class DashboardPage
{
    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using Stream stream = typeof(DashboardPage).Assembly.GetManifestResourceStream("SharpServe.Fleet.Gateway.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is missing from the assembly's resources");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.Body.WriteAsync(Html.Value, context.RequestAborted).AsTask();
    }
}
