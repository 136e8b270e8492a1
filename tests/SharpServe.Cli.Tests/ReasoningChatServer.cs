using System.Net;
using System.Text;

namespace SharpServe.Cli.Tests;

/// <summary>
/// A stand-in OpenAI server on 127.0.0.1 whose streamed replies carry <c>delta.reasoning_content</c> before the
/// content, as vLLM's deepseek_r1 parser sends them; it records the request bodies it got.
/// </summary>
public sealed class ReasoningChatServer : LoopbackHttpServer
{
    public const string Reasoning = "The user greets me.";
    public const string Answer = "Hello there!";

    public ReasoningChatServer()
        : base("/v1")
    {
        Start();
    }

    public string BaseUrl => Url;

    public List<string> ChatBodies { get; } = [];

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        string body = await reader.ReadToEndAsync();
        bool isChat = context.Request.Url!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal);
        if (isChat)
        {
            lock (ChatBodies)
            {
                ChatBodies.Add(body);
            }
        }

        byte[] reply = Encoding.UTF8.GetBytes(isChat ? StreamedReply() : """{"object":"list","data":[{"id":"r1","object":"model","created":0,"owned_by":"test"}]}""");
        context.Response.ContentType = isChat ? "text/event-stream" : "application/json";
        await context.Response.OutputStream.WriteAsync(reply);
        context.Response.Close();
    }

    private static string StreamedReply()
    {
        var events = new StringBuilder();
        foreach (string delta in (string[])[$$"""{"role":"assistant","reasoning_content":"{{Reasoning}}"}""", $$"""{"content":"{{Answer}}"}"""])
        {
            events.Append($$"""data: {"id":"c1","object":"chat.completion.chunk","created":0,"model":"r1","choices":[{"index":0,"delta":{{delta}},"finish_reason":null}]}""").Append("\n\n");
        }

        return events.Append("data: [DONE]\n\n").ToString();
    }
}
