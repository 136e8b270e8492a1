using System.Text.Json;

namespace SharpServe.Cli.Commands;

/// <summary>The lines printed once the server is ready, telling a user how to talk to it (never the API key itself).</summary>
internal static class ServeHints
{
    private const string WildcardHost = "0.0.0.0";

    public static IEnumerable<string> For(Uri listening, string modelName, bool needsApiKey)
    {
        // A client cannot connect to the wildcard address it listens on; loopback reaches it from this machine.
        string host = listening.Host == WildcardHost ? "127.0.0.1" : listening.Host;
        string baseUrl = $"{listening.Scheme}://{host}:{listening.Port}";
        string body = JsonSerializer.Serialize(new { model = modelName, messages = new[] { new { role = "user", content = "Hello!" } } });
        string auth = needsApiKey ? " -H \"Authorization: Bearer $SHARPSERVE_API_KEY\"" : "";
        yield return $"Try it: curl {baseUrl}/v1/chat/completions -H \"Content-Type: application/json\"{auth} -d {ShellQuote(body)}";
        yield return $"Or chat with it: sharpserve chat --base-url {baseUrl}/v1";
    }

    /// <summary>Single quotes keep the JSON literal in a POSIX shell; a quote inside is closed, escaped and reopened.</summary>
    private static string ShellQuote(string text) => $"'{text.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
