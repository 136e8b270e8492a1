using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Generation;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>Writes a completions request's outputs as one response or as SSE chunks.</summary>
public sealed class CompletionWriter(string id, string model, UsageCounter usage, LogprobsFormatter? logprobs)
{
    private readonly long _created = RequestIds.UnixNow();

    public async Task WriteAsync(HttpResponse response, EngineCall call, int n, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(call);
        var choices = await CompletedChoice.CollectAsync(call.ReadAllAsync(cancellation), n, usage);
        var body = new CompletionResponse(id, _created, model, [.. choices.Select(choice =>
            new CompletionChoice(choice.Index, choice.Text, logprobs?.Completion(choice.Logprobs, 0), choice.FinishReason))], usage.Total);
        await response.WriteAsJsonAsync(body, ServerJson.Options, cancellation);
    }

    public async Task StreamAsync(HttpResponse response, EngineCall call, bool includeUsage, TimeSpan keepAlive, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(call);
        await ServerSentEvents.StartAsync(response, cancellation);
        var textLengths = new Dictionary<int, int>();
        await foreach (RequestOutput output in KeepAliveOutputs.ReadAsync(call.ReadAllAsync(cancellation), response, keepAlive, cancellation))
        {
            usage.Add(output);
            int offset = textLengths.GetValueOrDefault(output.Index);
            textLengths[output.Index] = offset + output.Text.Length;
            var choice = new CompletionChoice(output.Index, output.Text, output.Logprobs is { } items ? logprobs?.Completion(items, offset) : null, FinishReasons.Name(output));
            await ServerSentEvents.WriteAsync(response, new CompletionResponse(id, _created, model, [choice], Usage: null), cancellation);
        }

        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(response, new CompletionResponse(id, _created, model, [], usage.Total), cancellation);
        }

        await ServerSentEvents.WriteDoneAsync(response, cancellation);
    }
}
