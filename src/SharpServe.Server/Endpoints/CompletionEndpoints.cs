using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Errors;
using SharpServe.Server.Generation;
using SharpServe.Server.Hosting;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>POST /v1/completions: text (or token ids) in, continuations out, whole or streamed.</summary>
public static class CompletionEndpoints
{
    /// <summary>vLLM's (and OpenAI's) default for the completions API, unlike chat's "whatever fits".</summary>
    private const int DefaultMaxTokens = 16;

    public static void Map(WebApplication app, ServedModelSlot slot, TimeSpan keepAlive)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/v1/completions", (HttpContext context) => HandleAsync(context, slot.Current, keepAlive));
    }

    private static async Task HandleAsync(HttpContext context, ServedModel served, TimeSpan keepAlive)
    {
        var request = await ServerJson.ReadBodyAsync<CompletionRequest>(context);
        string model = served.ResolveName(request.Model);
        int[] prompt = PromptIds(request.Prompt, served);
        var parameters = SamplingMapper.ToParams(request, request.MaxTokens ?? DefaultMaxTokens, request.Logprobs, served.Model.Checkpoint.Generation);
        string id = RequestIds.New("cmpl");
        var call = EngineCall.Start(served.Engine, new EngineRequest(id, prompt, parameters));
        var response = new CompletionWriter(
            id,
            model,
            new UsageCounter(prompt.Length),
            request.Logprobs is null ? null : new LogprobsFormatter(served.Tokenizer),
            request.ReturnTokenIds == true ? prompt : null);
        if (request.Stream)
        {
            await response.StreamAsync(context.Response, call, request.IncludeUsage, keepAlive, context.RequestAborted);
        }
        else
        {
            await response.WriteAsync(context.Response, call, parameters.N, context.RequestAborted);
        }
    }

    private static int[] PromptIds(PromptInput? prompt, ServedModel served)
    {
        int[] ids = prompt switch
        {
            null => throw ApiException.BadRequest("prompt is required", "prompt"),
            { TokenIds: { } tokenIds } => tokenIds,
            { Text: var text } => served.Tokenizer.Encode(text ?? "", addSpecialTokens: true),
        };
        return ids.Length > 0 ? ids : throw ApiException.BadRequest("prompt must not be empty", "prompt");
    }
}
