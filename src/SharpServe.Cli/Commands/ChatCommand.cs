using System.ClientModel;
using System.ClientModel.Primitives;
using System.CommandLine;
using OpenAI;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve chat</c>: an interactive terminal chat with any OpenAI-compatible server, over the official OpenAI SDK.</summary>
internal static class ChatCommand
{
    public static Command Build()
    {
        var baseUrl = new Option<string>("--base-url") { Description = "The server's OpenAI API root", DefaultValueFactory = _ => "http://localhost:8000/v1" };
        var apiKey = new Option<string?>("--api-key") { Description = "Sent as 'Authorization: Bearer KEY' (default: $OPENAI_API_KEY, else $SHARPSERVE_API_KEY)" };
        var model = new Option<string?>("--model") { Description = "Model name (default: the first the server lists)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Longest reply in tokens (default: the server's)" };
        var command = new Command("chat", "Chat with an OpenAI-compatible server in the terminal, streaming; /exit or end of input quits")
        {
            baseUrl, apiKey, model, maxTokens,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            string url = parse.GetValue(baseUrl)!;
            var client = new OpenAIClient(new ApiKeyCredential(parse.GetValue(apiKey) ?? DefaultApiKey()), new OpenAIClientOptions
            {
                Endpoint = Uri.TryCreate(url, UriKind.Absolute, out Uri? endpoint) ? endpoint : throw new ArgumentException($"--base-url: '{url}' is not an absolute URL"),
                // An interactive user wants to hear at once that the server is down, not after the SDK's retries.
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            });
            return new ChatSession(client, url, parse.GetValue(maxTokens)).RunAsync(parse.GetValue(model)).GetAwaiter().GetResult();
        }));
        return command;
    }

    /// <summary>The SDK refuses an empty key; a server without --api-key ignores whatever is sent.</summary>
    private static string DefaultApiKey() =>
        Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } openAi ? openAi
        : Environment.GetEnvironmentVariable("SHARPSERVE_API_KEY") is { Length: > 0 } ours ? ours
        : "EMPTY";
}
