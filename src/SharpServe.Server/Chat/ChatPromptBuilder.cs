using SharpServe.Engine.Templates;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Server.Chat;

/// <summary>Renders chat messages into prompt text with the model's own chat template, parsed once.</summary>
public sealed class ChatPromptBuilder(TokenizerSpec spec, ChatPromptOptions options)
{
    private readonly ChatTemplate _template = ChatTemplate.Parse(spec.ChatTemplate ?? throw new ArgumentException("this model has no chat template"));

    /// <summary>The prompt text; the template writes bos_token itself, so it must be encoded without adding special tokens.</summary>
    public string Render(IReadOnlyList<IReadOnlyDictionary<string, object?>> messages, bool addGenerationPrompt)
    {
        var context = new ChatTemplateContext
        {
            Messages = messages,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = spec.BosId is int bos ? spec.Tokens[bos] : null,
            EosToken = spec.EosId is int eos ? spec.Tokens[eos] : null,
        };
        return ChatPrompt.Render(_template, context, options);
    }
}
