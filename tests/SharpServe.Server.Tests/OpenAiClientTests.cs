using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>The official OpenAI .NET SDK, a client this project did not write, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class OpenAiClientTests(ServerFixture fixture)
{
    private readonly OpenAIClient _client = fixture.Server.OpenAiClient();

    private static readonly ChatMessage[] Conversation = [new SystemChatMessage("You are a historian."), new UserChatMessage("Who built the Great Wall?")];

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Fact]
    public async Task Chat_ReturnsAnAssistantReplyWithUsage()
    {
        ChatCompletion completion = await _client.GetChatClient(TestServer.ModelName).CompleteChatAsync(Conversation, Greedy(8));

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal(TestServer.ModelName, completion.Model);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task StreamingChat_DeltasConcatenateToTheGreedyAnswer()
    {
        ChatClient chat = _client.GetChatClient(TestServer.ModelAlias);
        ChatCompletion whole = await chat.CompleteChatAsync(Conversation, Greedy(12));

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(Conversation, Greedy(12)))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
    }

    [Fact]
    public async Task ModelsList_NamesEveryServedName()
    {
        var models = await _client.GetOpenAIModelClient().GetModelsAsync();

        Assert.Equal([TestServer.ModelName, TestServer.ModelAlias], models.Value.Select(m => m.Id));
    }

    /// <summary>The SDK's options have no n, so the request goes through its protocol method and its own parser reads the answer.</summary>
    [Fact]
    public async Task Chat_WithNTwo_ReturnsTwoIndexedChoices()
    {
        var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            model = TestServer.ModelName,
            messages = new[] { new { role = "user", content = "Write a poem about autumn." } },
            n = 2,
            max_tokens = 6,
            temperature = 1.0,
            seed = 11,
        }));
        ClientResult result = await _client.GetChatClient(TestServer.ModelName).CompleteChatAsync(body);
        ChatCompletion completion = ModelReaderWriter.Read<ChatCompletion>(result.GetRawResponse().Content)!;

        Assert.Equal(12, completion.Usage.OutputTokenCount);
        using var json = System.Text.Json.JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        var choices = json.RootElement.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal("length", c.GetProperty("finish_reason").GetString()));
    }
}
