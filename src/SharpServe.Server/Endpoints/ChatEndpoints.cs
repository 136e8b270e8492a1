using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Chat;
using SharpServe.Server.Generation;
using SharpServe.Server.Hosting;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>POST /v1/chat/completions: messages rendered with the model's chat template, the reply whole or streamed.</summary>
public static class ChatEndpoints
{
    public static void Map(WebApplication app, ServedModelSlot slot, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        bool splitReasoning = ReasoningParsers.SplitsReasoning(options.ReasoningParser);
        app.MapPost("/v1/chat/completions", (HttpContext context) => HandleAsync(context, slot.Current, splitReasoning, options.KeepAliveInterval));
    }

    private static async Task HandleAsync(HttpContext context, ServedModel served, bool splitReasoning, TimeSpan keepAlive)
    {
        var request = await ServerJson.ReadBodyAsync<ChatCompletionRequest>(context);
        string model = served.ResolveName(request.Model);
        var messages = ChatMessages.ToTemplateMessages(request.Messages);
        int[] prompt = served.Tokenizer.Encode(served.ChatPrompts.Render(messages, addGenerationPrompt: true), addSpecialTokens: false);

        // Without a limit the reply may use the rest of the context, as vLLM allows.
        int? maxTokens = request.MaxCompletionTokens ?? request.MaxTokens;
        int? logprobs = request.Logprobs ? request.TopLogprobs ?? 0 : null;
        var parameters = SamplingMapper.ToParams(request, maxTokens, logprobs, served.Model.Checkpoint.Generation);
        string id = RequestIds.New("chatcmpl");
        var call = EngineCall.Start(served.Engine, new EngineRequest(id, prompt, parameters));
        var response = new ChatWriter(
            id,
            model,
            new UsageCounter(prompt.Length),
            request.Logprobs ? new LogprobsFormatter(served.Tokenizer) : null,
            new ChatDeltaSplitter(splitReasoning),
            request.ReturnTokenIds == true ? prompt : null);
        if (request.Stream)
        {
            await response.StreamAsync(context.Response, call, parameters.N, request.IncludeUsage, keepAlive, context.RequestAborted);
        }
        else
        {
            await response.WriteAsync(context.Response, call, parameters.N, context.RequestAborted);
        }
    }
}
