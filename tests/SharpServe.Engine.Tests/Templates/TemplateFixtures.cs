using System.Text.Json;
using SharpServe.Engine.Templates;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Templates;

/// <summary>Reads the committed template fixtures, conversations and @huggingface/jinja goldens.</summary>
internal static class TemplateFixtures
{
    public static string Directory => Path.Combine(RepoPaths.Root, "tests", "SharpServe.Engine.Tests", "Templates", "Fixtures");

    public static string TemplateSource(string name) => File.ReadAllText(Path.Combine(Directory, name + ".jinja"));

    public static IReadOnlyList<Golden> Goldens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "goldens.json")));
        return doc.RootElement.EnumerateArray().Select(g => new Golden(
            g.GetProperty("template").GetString()!,
            g.GetProperty("conversation").GetString()!,
            g.GetProperty("add_generation_prompt").GetBoolean(),
            g.GetProperty("bos_token").GetString(),
            g.GetProperty("eos_token").GetString(),
            g.GetProperty("expected").GetString()!)).ToList();
    }

    public static ChatTemplateContext Context(Golden golden)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "conversations.json")));
        JsonElement conversation = doc.RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == golden.Conversation);
        return new ChatTemplateContext
        {
            Messages = TemplateJson.ObjectList(conversation.GetProperty("messages"), "messages"),
            Tools = conversation.TryGetProperty("tools", out JsonElement tools) ? TemplateJson.ObjectList(tools, "tools") : null,
            AddGenerationPrompt = golden.AddGenerationPrompt,
            BosToken = golden.BosToken,
            EosToken = golden.EosToken,
        };
    }
}

internal sealed record Golden(string Template, string Conversation, bool AddGenerationPrompt, string? BosToken, string? EosToken, string Expected);
