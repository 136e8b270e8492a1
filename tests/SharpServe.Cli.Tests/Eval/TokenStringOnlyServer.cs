using System.Net;
using System.Text;

namespace SharpServe.Cli.Tests.Eval;

/// <summary>
/// An OpenAI server without vLLM's return_token_ids: every completion is "Hello world" with logprobs naming its
/// two tokens, and no token_ids. It records the completion bodies it was sent.
/// </summary>
public sealed class TokenStringOnlyServer : LoopbackHttpServer
{
    public TokenStringOnlyServer()
        : base("/v1")
    {
        Start();
    }

    public List<string> CompletionBodies { get; } = [];

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        string body = await reader.ReadToEndAsync();
        bool isCompletion = context.Request.Url!.AbsolutePath.EndsWith("/completions", StringComparison.Ordinal);
        if (isCompletion)
        {
            lock (CompletionBodies)
            {
                CompletionBodies.Add(body);
            }
        }

        string reply = isCompletion
            ? """{"id":"c1","object":"text_completion","created":0,"model":"other","choices":[{"index":0,"text":"Hello world","logprobs":{"tokens":["Hello"," world"],"token_logprobs":[-0.1,-0.2],"top_logprobs":[{"Hello":-0.1},{" world":-0.2}],"text_offset":[0,5]},"finish_reason":"length"}]}"""
            : """{"object":"list","data":[{"id":"other","object":"model","created":0,"owned_by":"test"}]}""";
        byte[] bytes = Encoding.UTF8.GetBytes(reply);
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
