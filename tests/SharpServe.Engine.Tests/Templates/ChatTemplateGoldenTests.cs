using SharpServe.Engine.Templates;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Templates;

/// <summary>Every fixture template over every conversation must render exactly what @huggingface/jinja rendered.</summary>
public sealed class ChatTemplateGoldenTests
{
    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (Golden g in TemplateFixtures.Goldens())
        {
            data.Add(g.Template, g.Conversation, g.AddGenerationPrompt);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RenderMatchesGolden(string template, string conversation, bool addGenerationPrompt)
    {
        Golden golden = TemplateFixtures.Goldens().Single(g => g.Template == template && g.Conversation == conversation && g.AddGenerationPrompt == addGenerationPrompt);
        ChatTemplate parsed = ChatTemplate.Parse(TemplateFixtures.TemplateSource(template));

        string rendered = parsed.Render(TemplateFixtures.Context(golden));

        Assert.Equal(golden.Expected, rendered);
    }

    [Fact]
    public void GoldensCoverEveryFixtureTemplateWithAndWithoutGenerationPrompt()
    {
        var goldens = TemplateFixtures.Goldens();
        string[] templates = ["qwen2_5", "qwen3", "llama3_1", "deepseek_r1_distill", "deepseek_r1_distill_earlier"];

        foreach (string template in templates)
        {
            Assert.Contains(goldens, g => g.Template == template && g.AddGenerationPrompt);
            Assert.Contains(goldens, g => g.Template == template && !g.AddGenerationPrompt);
        }

        Assert.Contains(goldens, g => g.Template == "qwen2_5" && g.Conversation == "tools_qwen");
        Assert.Contains(goldens, g => g.Template == "qwen3" && g.Conversation == "tools_qwen");
    }

    [Fact]
    public void DistillTemplatesDifferOnlyInGenerationPrompt()
    {
        var goldens = TemplateFixtures.Goldens();
        Golden current = goldens.Single(g => g.Template == "deepseek_r1_distill" && g.Conversation == "single_user" && g.AddGenerationPrompt);
        Golden earlier = goldens.Single(g => g.Template == "deepseek_r1_distill_earlier" && g.Conversation == "single_user" && g.AddGenerationPrompt);

        Assert.EndsWith("<｜Assistant｜><think>\n", current.Expected, StringComparison.Ordinal);
        Assert.EndsWith("<｜Assistant｜>", earlier.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void DistillFixtureIsTheTemplateTheTokenizerShips() =>
        Assert.Equal(DistillChatTemplate.Text, TemplateFixtures.TemplateSource("deepseek_r1_distill"));
}
