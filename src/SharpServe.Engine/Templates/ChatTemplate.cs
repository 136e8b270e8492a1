using System.Text;

namespace SharpServe.Engine.Templates;

/// <summary>
/// A parsed Jinja chat template (the tokenizer_config.json "chat_template" subset Hugging Face models use),
/// rendered the way transformers' apply_chat_template does. Parse once, render per request.
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Node> _body;

    private ChatTemplate(IReadOnlyList<Node> body)
    {
        _body = body;
    }

    /// <exception cref="TemplateException">The source uses syntax outside the supported subset.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(TemplateParser.Parse(source));
    }

    /// <exception cref="TemplateException">A runtime error, including the template's own raise_exception().</exception>
    public string Render(ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = new Scope(null);
        scope.Set("messages", Values.FromHost(context.Messages));
        scope.Set("add_generation_prompt", context.AddGenerationPrompt);
        if (context.BosToken is not null)
        {
            scope.Set("bos_token", context.BosToken);
        }

        if (context.EosToken is not null)
        {
            scope.Set("eos_token", context.EosToken);
        }

        if (context.Tools is not null)
        {
            scope.Set("tools", Values.FromHost(context.Tools));
        }

        var output = new StringBuilder();
        Renderer.Render(_body, scope, output);
        return output.ToString();
    }
}
