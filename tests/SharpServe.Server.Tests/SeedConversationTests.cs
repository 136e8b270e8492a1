using System.Text;
using OpenAI;
using OpenAI.Chat;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>The seed's two example conversations, sent as its LLMClient sends them, through the official OpenAI SDK.</summary>
[Collection(ServerCollection.Name)]
public sealed class SeedConversationTests(ServerFixture fixture)
{
    private const string HistorianPrompt = "你是一个历史学家";
    private const string TangQuestion = "请简要介绍一下唐朝的历史";
    private const int MaxTokens = 16;

    private readonly ChatClient _chat = fixture.Server.OpenAiClient()
        .GetChatClient(TestServer.ModelName);

    private static ChatCompletionOptions Greedy => new() { Temperature = 0, MaxOutputTokenCount = MaxTokens };

    [Fact]
    public async Task ChineseHistoryQuestion_WithASystemPrompt_ArrivesIntactAndIsCountedExactly()
    {
        ChatMessage[] conversation = [new SystemChatMessage(HistorianPrompt), new UserChatMessage(TangQuestion)];

        ChatCompletion completion = await _chat.CompleteChatAsync(conversation, Greedy);

        // The server's own count of the rendered conversation, and its text back: the Chinese went through JSON, template and tokenizer intact.
        var messages = new[] { new { role = "system", content = HistorianPrompt }, new { role = "user", content = TangQuestion } };
        var tokenized = await (await fixture.Server.Client.PostJsonAsync("/tokenize", new { model = TestServer.ModelName, messages })).JsonAsync();
        int[] promptTokens = [.. tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
        string rendered = fixture.Server.Tokenizer.Decode(promptTokens, skipSpecialTokens: false);
        Assert.Contains(HistorianPrompt, rendered, StringComparison.Ordinal);
        Assert.Contains(TangQuestion, rendered, StringComparison.Ordinal);
        Assert.Equal(promptTokens.Length, completion.Usage.InputTokenCount);
        Assert.Equal(MaxTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
    }

    [Fact]
    public async Task AutumnPoem_StreamedAtTemperatureZero_EqualsTheWholeReplyWithTheSameUsage()
    {
        ChatMessage[] conversation = [new UserChatMessage("请写一首关于秋天的短诗")];
        ChatCompletion whole = await _chat.CompleteChatAsync(conversation, Greedy);

        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        int chunks = 0;
        await foreach (StreamingChatCompletionUpdate update in _chat.CompleteChatStreamingAsync(conversation, Greedy))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
                chunks++;
            }

            usage ??= update.Usage;
        }

        Assert.True(chunks > 1, "the reply arrived in one piece, not streamed");
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.NotNull(usage); // the SDK asks for stream_options.include_usage
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }
}
