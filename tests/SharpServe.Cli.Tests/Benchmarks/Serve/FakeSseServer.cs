using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

/// <summary>
/// An OpenAI-style streaming server with known timing: after <see cref="FirstDelay"/> it sends the first of
/// <see cref="Chunks"/> text chunks, then one every <see cref="Gap"/>, then a usage chunk (unless
/// <see cref="SendUsage"/> is off) and [DONE]. A prompt containing "fail" gets HTTP 500.
/// </summary>
public sealed class FakeSseServer : LoopbackHttpServer
{
    private FakeSseServer(TimeSpan firstDelay, TimeSpan gap, int chunks, int usageTokens, bool sendUsage)
    {
        FirstDelay = firstDelay;
        Gap = gap;
        Chunks = chunks;
        UsageTokens = usageTokens;
        SendUsage = sendUsage;
        Start();
    }

    public TimeSpan FirstDelay { get; }

    public TimeSpan Gap { get; }

    public int Chunks { get; }

    /// <summary>The completion_tokens of the usage chunk, which may differ from the chunk count (a chunk can carry several tokens).</summary>
    public int UsageTokens { get; }

    public bool SendUsage { get; }

    public const int PromptTokens = 7;

    /// <summary>Every request body received, in arrival order.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    public static FakeSseServer Start(TimeSpan firstDelay, TimeSpan gap, int chunks, int usageTokens, bool sendUsage = true) =>
        new(firstDelay, gap, chunks, usageTokens, sendUsage);

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream);
        string body = await reader.ReadToEndAsync();
        Bodies.Enqueue(body);
        if (body.Contains("fail", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 500;
            byte[] error = Encoding.UTF8.GetBytes("{\"error\":{\"message\":\"boom\"}}");
            await context.Response.OutputStream.WriteAsync(error);
            context.Response.Close();
            return;
        }

        bool chat = context.Request.Url!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal);
        context.Response.ContentType = "text/event-stream";
        context.Response.SendChunked = true;
        Stream output = context.Response.OutputStream;
        await Task.Delay(FirstDelay);
        for (int i = 0; i < Chunks; i++)
        {
            if (i > 0)
            {
                await Task.Delay(Gap);
            }

            string choice = chat ? $"{{\"index\":0,\"delta\":{{\"content\":\"w{i} \"}}}}" : $"{{\"index\":0,\"text\":\"w{i} \"}}";
            await Send(output, $"{{\"choices\":[{choice}]}}");
        }

        if (SendUsage)
        {
            await Send(output, $"{{\"choices\":[],\"usage\":{{\"prompt_tokens\":{PromptTokens},\"completion_tokens\":{UsageTokens},\"total_tokens\":{PromptTokens + UsageTokens}}}}}");
        }

        await Send(output, "[DONE]");
        context.Response.Close();
    }

    private static async Task Send(Stream output, string data)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"));
        await output.FlushAsync();
    }
}
