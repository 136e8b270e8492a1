using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Generation;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>
/// Writes a completions request's outputs as one response or as SSE chunks. <paramref name="promptTokenIds"/> is
/// set only when the client asked for return_token_ids; then every choice also carries its token ids.
/// </summary>
public sealed class CompletionWriter(string id, string model, UsageCounter usage, LogprobsFormatter? logprobs, IReadOnlyList<int>? promptTokenIds)
{
    private readonly long _created = RequestIds.UnixNow();

    public async Task WriteAsync(HttpResponse response, EngineCall call, int n, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(call);
        var choices = await CompletedChoice.CollectAsync(call.ReadAllAsync(cancellation), n, usage);
        var body = new CompletionResponse(id, _created, model, [.. choices.Select(choice =>
            new CompletionChoice(
                choice.Index,
                choice.Text,
                logprobs?.Completion(choice.Logprobs, 0),
                choice.FinishReason,
                promptTokenIds is null ? null : choice.TokenIds,
                promptTokenIds))], usage.Total);
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
            bool first = !textLengths.TryGetValue(output.Index, out int offset);
            textLengths[output.Index] = offset + output.Text.Length;
            var choice = new CompletionChoice(
                output.Index,
                output.Text,
                output.Logprobs is { } items ? logprobs?.Completion(items, offset) : null,
                FinishReasons.Name(output),
                promptTokenIds is null ? null : output.NewTokenIds,
                first ? promptTokenIds : null);
            await ServerSentEvents.WriteAsync(response, new CompletionResponse(id, _created, model, [choice], Usage: null), cancellation);
        }

        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(response, new CompletionResponse(id, _created, model, [], usage.Total), cancellation);
        }

        await ServerSentEvents.WriteDoneAsync(response, cancellation);
    }
}
