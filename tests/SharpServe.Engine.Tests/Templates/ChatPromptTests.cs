using SharpServe.Engine.Templates;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Templates;

public sealed class ChatPromptTests
{
    private const string Bos = "<｜begin▁of▁sentence｜>";
    private const string Eos = "<｜end▁of▁sentence｜>";

    private static readonly ChatTemplate Current = ChatTemplate.Parse(DistillChatTemplate.Text);
    private static readonly ChatTemplate Earlier = ChatTemplate.Parse(TemplateFixtures.TemplateSource("deepseek_r1_distill_earlier"));

    [Fact]
    public void ForceThinkPrefix_AppendsItToTheEarlierTemplate()
    {
        string prompt = ChatPrompt.Render(Earlier, Context(true, User("What is 2+2?")), new ChatPromptOptions { ForceThinkPrefix = true });
        Assert.Equal(Bos + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n", prompt);
    }

    [Fact]
    public void ForceThinkPrefix_NeverDoublesTheCurrentTemplatesPrefix()
    {
        string prompt = ChatPrompt.Render(Current, Context(true, User("What is 2+2?")), new ChatPromptOptions { ForceThinkPrefix = true });
        Assert.Equal(Bos + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n", prompt);
    }

    [Fact]
    public void ForceThinkPrefix_LeavesPromptsWithoutAGenerationPromptAlone()
    {
        var context = Context(false, User("hi"), Assistant("hello"));
        string prompt = ChatPrompt.Render(Earlier, context, new ChatPromptOptions { ForceThinkPrefix = true });
        Assert.Equal(Earlier.Render(context), prompt);
        Assert.DoesNotContain("<think>", prompt);
    }

    [Fact]
    public void NoOptions_RendersExactlyLikeTheTemplate()
    {
        var context = Context(true, System("Be brief."), User("hi"));
        Assert.Equal(Earlier.Render(context), ChatPrompt.Render(Earlier, context, new ChatPromptOptions()));
    }

    [Fact]
    public void FoldSystemIntoUser_PrependsAllSystemTextToTheFirstUserTurnOnly()
    {
        var context = Context(true, System("Be brief."), User("first"), Assistant("ok"), System("Use \\boxed{}."), User("second"));
        string prompt = ChatPrompt.Render(Current, context, new ChatPromptOptions { FoldSystemIntoUser = true });
        Assert.Equal(
            Bos + "<｜User｜>Be brief.\n\nUse \\boxed{}.\n\nfirst<｜Assistant｜>ok" + Eos + "<｜User｜>second<｜Assistant｜><think>\n",
            prompt);
    }

    [Fact]
    public void FoldSystemIntoUser_TurnsSystemTextIntoAUserTurnWhenThereIsNone()
    {
        var context = Context(true, System("Solve x+1=2."));
        string prompt = ChatPrompt.Render(Earlier, context, new ChatPromptOptions { FoldSystemIntoUser = true, ForceThinkPrefix = true });
        Assert.Equal(Bos + "<｜User｜>Solve x+1=2.<｜Assistant｜><think>\n", prompt);
    }

    [Fact]
    public void FoldSystemIntoUser_LeavesTheCallersMessagesUntouched()
    {
        var user = User("hi");
        var context = Context(true, System("Be brief."), user);
        ChatPrompt.Render(Current, context, new ChatPromptOptions { FoldSystemIntoUser = true });
        Assert.Equal("hi", user["content"]);
        Assert.Equal(2, context.Messages.Count);
    }

    private static ChatTemplateContext Context(bool addGenerationPrompt, params IReadOnlyDictionary<string, object?>[] messages) => new()
    {
        Messages = messages,
        AddGenerationPrompt = addGenerationPrompt,
        BosToken = Bos,
        EosToken = Eos,
    };

    private static Dictionary<string, object?> User(string content) => Message("user", content);

    private static Dictionary<string, object?> Assistant(string content) => Message("assistant", content);

    private static Dictionary<string, object?> System(string content) => Message("system", content);

    private static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };
}
