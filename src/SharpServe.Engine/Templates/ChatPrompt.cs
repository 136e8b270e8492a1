namespace SharpServe.Engine.Templates;

/// <summary>Renders a chat template with <see cref="ChatPromptOptions"/> applied.</summary>
public static class ChatPrompt
{
    public const string ThinkPrefix = "<think>\n";

    private const string Separator = "\n\n";

    /// <exception cref="TemplateException">The template fails to render.</exception>
    public static string Render(ChatTemplate template, ChatTemplateContext context, ChatPromptOptions options)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (options.FoldSystemIntoUser)
        {
            context = new ChatTemplateContext
            {
                Messages = FoldSystemIntoUser(context.Messages),
                AddGenerationPrompt = context.AddGenerationPrompt,
                BosToken = context.BosToken,
                EosToken = context.EosToken,
                Tools = context.Tools,
            };
        }

        string prompt = template.Render(context);
        bool addThink = options.ForceThinkPrefix && context.AddGenerationPrompt && !prompt.EndsWith(ThinkPrefix, StringComparison.Ordinal);
        return addThink ? prompt + ThinkPrefix : prompt;
    }

    private static List<IReadOnlyDictionary<string, object?>> FoldSystemIntoUser(IReadOnlyList<IReadOnlyDictionary<string, object?>> messages)
    {
        var system = messages.Where(m => Role(m) == "system").Select(m => m.GetValueOrDefault("content") as string ?? "").ToList();
        var rest = messages.Where(m => Role(m) != "system").ToList();
        if (system.Count == 0)
        {
            return rest;
        }

        string instructions = string.Join(Separator, system);
        int firstUser = rest.FindIndex(m => Role(m) == "user");
        if (firstUser < 0)
        {
            rest.Insert(0, new Dictionary<string, object?> { ["role"] = "user", ["content"] = instructions });
            return rest;
        }

        // Copy the message so the caller's dictionary (and any extra keys on it) is left untouched.
        var user = new Dictionary<string, object?>(rest[firstUser]);
        user["content"] = instructions + Separator + (user.GetValueOrDefault("content") as string ?? "");
        rest[firstUser] = user;
        return rest;
    }

    private static string? Role(IReadOnlyDictionary<string, object?> message) => message.GetValueOrDefault("role") as string;
}
