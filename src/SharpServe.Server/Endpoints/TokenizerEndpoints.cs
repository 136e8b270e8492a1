using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpServe.Server.Chat;
using SharpServe.Server.Errors;
using SharpServe.Server.Hosting;
using SharpServe.Server.Json;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Endpoints;

/// <summary>vLLM's POST /tokenize and POST /detokenize.</summary>
public static class TokenizerEndpoints
{
    public static void Map(WebApplication app, ServedModelSlot slot)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/tokenize", (HttpContext context) => TokenizeAsync(context, slot.Current));
        app.MapPost("/detokenize", (HttpContext context) => DetokenizeAsync(context, slot.Current));
    }

    private static async Task TokenizeAsync(HttpContext context, ServedModel served)
    {
        var request = await ServerJson.ReadBodyAsync<TokenizeRequest>(context);
        served.ResolveName(request.Model);
        if ((request.Prompt is null) == (request.Messages is null))
        {
            throw ApiException.BadRequest("give exactly one of prompt and messages");
        }

        string text = request.Prompt ?? served.ChatPrompts.Render(ChatMessages.ToTemplateMessages(request.Messages), request.AddGenerationPrompt);
        int[] tokens = served.Tokenizer.Encode(text, request.AddSpecialTokens ?? request.Prompt is not null);
        await context.Response.WriteAsJsonAsync(new TokenizeResponse(tokens.Length, served.MaxModelLen, tokens), ServerJson.Options, context.RequestAborted);
    }

    private static async Task DetokenizeAsync(HttpContext context, ServedModel served)
    {
        var request = await ServerJson.ReadBodyAsync<DetokenizeRequest>(context);
        served.ResolveName(request.Model);
        var tokens = request.Tokens ?? throw ApiException.BadRequest("tokens is required", "tokens");
        int vocabulary = served.Model.Config.VocabSize;
        if (tokens.Any(id => (uint)id >= (uint)vocabulary))
        {
            throw ApiException.BadRequest($"token ids must be in 0..{vocabulary - 1}", "tokens");
        }

        string prompt = served.Tokenizer.Decode(tokens, skipSpecialTokens: false);
        await context.Response.WriteAsJsonAsync(new DetokenizeResponse(prompt), ServerJson.Options, context.RequestAborted);
    }
}
