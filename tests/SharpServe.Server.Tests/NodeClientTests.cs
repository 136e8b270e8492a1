using System.Text.Json;
using SharpServe.Server.Tests.TestSupport;

namespace SharpServe.Server.Tests;

/// <summary>The official <c>openai</c> npm package (NodeClient/client.mjs), a client no one here wrote, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class NodeClientTests(ServerFixture fixture)
{
    [Fact]
    public async Task OpenAiNpmPackage_ChatsAndCompletes_PlainAndStreaming()
    {
        string output = await NodeClient.RunAsync(new Uri(fixture.Server.Url, "v1"), TestServer.ApiKey, TestServer.ModelName);

        using var json = JsonDocument.Parse(output);
        JsonElement chat = json.RootElement.GetProperty("chat");
        JsonElement streamedChat = json.RootElement.GetProperty("streamed_chat");
        JsonElement completion = json.RootElement.GetProperty("completion");
        Assert.False(string.IsNullOrEmpty(chat.GetProperty("content").GetString()));
        Assert.Equal("length", chat.GetProperty("finish_reason").GetString());
        Assert.Equal(8, chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(chat.GetProperty("content").GetString(), streamedChat.GetProperty("content").GetString());
        Assert.True(streamedChat.GetProperty("chunks").GetInt32() > 1);
        Assert.Equal(chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), streamedChat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(completion.GetProperty("text").GetString(), json.RootElement.GetProperty("streamed_completion").GetProperty("text").GetString());
    }
}
