using SharpServe.Engine.Templates;

namespace SharpServe.Engine.Tests.Templates;

/// <summary>Renders a template snippet over a small fixed conversation (for unit tests of the language subset).</summary>
internal static class TemplateRendering
{
    public static string Render(string source, IReadOnlyList<IReadOnlyDictionary<string, object?>>? tools = null) =>
        ChatTemplate.Parse(source).Render(new ChatTemplateContext
        {
            Messages =
            [
                new Dictionary<string, object?> { ["role"] = "system", ["content"] = "Be brief." },
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = " Hi there " },
                new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = null },
            ],
            AddGenerationPrompt = true,
            BosToken = "<s>",
            EosToken = "</s>",
            Tools = tools,
        });
}
