using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SharpServe.Fleet;

namespace SharpServe.Fleet.Tests.Gateway;

/// <summary>
/// A stand-in instance on 127.0.0.1: /health, /v1/models, /v1/chat/completions and /metrics behave as the test
/// sets them (fail, hang, 429, stream events on the test's signal, cut the connection mid-stream).
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    public enum HealthMode { Ok, Fail, Hang }

    public enum ChatMode { Json, Stream, StreamThenDie, TooMany, Hold }

    private readonly WebApplication _app;
    private int _chatRequests;
    private bool _disposed;

    private FakeUpstream(WebApplication app, string id, IReadOnlyList<string> models)
    {
        _app = app;
        Id = id;
        Models = models;
        Address = new Uri(app.Urls.First() + "/");
    }

    public string Id { get; }

    public IReadOnlyList<string> Models { get; }

    public Uri Address { get; }

    public Upstream Upstream => new(Id, Address, Models);

    public volatile HealthMode Health = HealthMode.Ok;

    public volatile ChatMode Chat = ChatMode.Json;

    /// <summary>Released by the test: the stream's second event (or its death), or a held request's answer.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ChatRequests => Volatile.Read(ref _chatRequests);

    public string? LastAuthorization { get; private set; }

    public static async Task<FakeUpstream> StartAsync(string id, params string[] models)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeUpstream? self = null;
        app.MapGet("/health", async (HttpContext context) =>
        {
            switch (self!.Health)
            {
                case HealthMode.Fail:
                    context.Response.StatusCode = 503;
                    break;
                case HealthMode.Hang:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    break;
            }
        });
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = self!.Models.Select(name => new { id = name, @object = "model" }) }));
        app.MapGet("/metrics", () => Results.Text("# HELP vllm:kv_cache_usage_perc x\nvllm:kv_cache_usage_perc{model_name=\"m\"} 0.25\nvllm:num_requests_running{model_name=\"m\"} 3\nvllm:num_requests_waiting{model_name=\"m\"} 1\n"));
        app.MapPost("/v1/chat/completions", (HttpContext context) => self!.ChatAsync(context));
        await app.StartAsync();
        self = new FakeUpstream(app, id, models);
        return self;
    }

    private async Task ChatAsync(HttpContext context)
    {
        Interlocked.Increment(ref _chatRequests);
        LastAuthorization = context.Request.Headers.Authorization.ToString();
        string body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        switch (Chat)
        {
            case ChatMode.TooMany:
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "7";
                await context.Response.WriteAsync("{\"error\":{\"message\":\"queue full\"}}");
                return;
            case ChatMode.Hold:
                await Gate.Task.WaitAsync(context.RequestAborted);
                break;
            case ChatMode.Stream or ChatMode.StreamThenDie:
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync($"data: {{\"upstream\":\"{Id}\",\"n\":1}}\n\n");
                await context.Response.Body.FlushAsync();
                await Gate.Task.WaitAsync(context.RequestAborted);
                if (Chat == ChatMode.StreamThenDie)
                {
                    context.Abort();
                    return;
                }

                await context.Response.WriteAsync("data: {\"n\":2}\n\ndata: [DONE]\n\n");
                return;
        }

        await context.Response.WriteAsJsonAsync(new { upstream = Id, echo = body.Length });
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Gate.TrySetResult();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }
}
