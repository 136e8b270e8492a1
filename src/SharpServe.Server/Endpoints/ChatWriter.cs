using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Generation;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>
/// Writes a chat request's outputs as one response or as SSE chunks, split into reasoning and content by
/// <paramref name="deltas"/>. <paramref name="promptTokenIds"/> is set only when the client asked for
/// return_token_ids: then the response (a stream: its first chunk) carries them and every choice its token ids.
/// </summary>
public sealed class ChatWriter(string id, string model, UsageCounter usage, LogprobsFormatter? logprobs, ChatDeltaSplitter deltas, IReadOnlyList<int>? promptTokenIds)
{
    private const string AssistantRole = "assistant";

    private readonly long _created = RequestIds.UnixNow();

    public async Task WriteAsync(HttpResponse response, EngineCall call, int n, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(call);
        var choices = await CompletedChoice.CollectAsync(call.ReadAllAsync(cancellation), n, usage);
        var body = new ChatCompletionResponse(id, _created, model, [.. choices.Select(choice => new ChatChoice(
            choice.Index,
            deltas.Message(AssistantRole, choice.Text),
            logprobs?.Chat(choice.Logprobs),
            choice.FinishReason,
            promptTokenIds is null ? null : choice.TokenIds))], usage.Total, promptTokenIds);
        await response.WriteAsJsonAsync(body, ServerJson.Options, cancellation);
    }

    /// <summary>Each choice opens with a role-only delta, as OpenAI's stream does; content deltas follow.</summary>
    public async Task StreamAsync(HttpResponse response, EngineCall call, int n, bool includeUsage, TimeSpan keepAlive, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(call);
        await ServerSentEvents.StartAsync(response, cancellation);
        for (int index = 0; index < n; index++)
        {
            var roleChunk = new ChatCompletionChunk(id, _created, model, [new ChatChunkChoice(index, new ChatDelta(AssistantRole, ""), null, null)], Usage: null, index == 0 ? promptTokenIds : null);
            await ServerSentEvents.WriteAsync(response, roleChunk, cancellation);
        }

        await foreach (RequestOutput output in KeepAliveOutputs.ReadAsync(call.ReadAllAsync(cancellation), response, keepAlive, cancellation))
        {
            usage.Add(output);
            var delta = deltas.Next(output);
            var choice = new ChatChunkChoice(
                output.Index,
                delta,
                output.Logprobs is { } items ? logprobs?.Chat(items) : null,
                FinishReasons.Name(output),
                promptTokenIds is null ? null : output.NewTokenIds);
            await WriteChunkAsync(response, choice, cancellation);
        }

        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(response, new ChatCompletionChunk(id, _created, model, [], usage.Total), cancellation);
        }

        await ServerSentEvents.WriteDoneAsync(response, cancellation);
    }

    private Task WriteChunkAsync(HttpResponse response, ChatChunkChoice choice, CancellationToken cancellation) =>
        ServerSentEvents.WriteAsync(response, new ChatCompletionChunk(id, _created, model, [choice], Usage: null), cancellation);
}
