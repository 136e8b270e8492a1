using System.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>Microsoft.Extensions.AI's <see cref="IChatClient"/> over its OpenAI connector, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ExtensionsAiClientTests(ServerFixture fixture)
{
    private const int MaxTokens = 10;

    private readonly IChatClient _client = fixture.Server.OpenAiClient()
        .GetChatClient(TestServer.ModelName)
        .AsIChatClient();

    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "You are a historian."), new(ChatRole.User, "Who built the Great Wall?")];

    private static ChatOptions Greedy => new() { Temperature = 0, MaxOutputTokens = MaxTokens };

    [Fact]
    public async Task GetResponse_ReturnsTheAssistantReplyWithUsage()
    {
        ChatResponse response = await _client.GetResponseAsync(Conversation, Greedy);

        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.Equal(TestServer.ModelName, response.ModelId);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(MaxTokens, response.Usage?.OutputTokenCount);
        Assert.True(response.Usage?.InputTokenCount > 0);
    }

    [Fact]
    public async Task GetStreamingResponse_UpdatesConcatenateToTheGreedyReply()
    {
        ChatResponse whole = await _client.GetResponseAsync(Conversation, Greedy);

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (ChatResponseUpdate update in _client.GetStreamingResponseAsync(Conversation, Greedy))
        {
            streamed.Append(update.Text);
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
    }
}
