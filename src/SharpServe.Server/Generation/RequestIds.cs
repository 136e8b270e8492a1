namespace SharpServe.Server.Generation;

/// <summary>Response ids in OpenAI's style; the same id names the request inside the engine.</summary>
public static class RequestIds
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
