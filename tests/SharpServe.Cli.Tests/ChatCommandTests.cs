using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpServe.Cli.Tests;

/// <summary><c>sharpserve chat</c> as a child process with its stdin piped, against <c>sharpserve serve</c>.</summary>
public sealed partial class ChatCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-chat-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Chat_StreamsReplies_KeepsTheConversation_AndStopsAtExitOrEndOfInput()
    {
        string model = Path.Combine(_folder, "tiny.gguf");
        CliRunner.CreateTinyModel(model, "gguf");
        int port = ServeProcess.FreePort();
        using var server = await ServeProcess.StartAsync(
            "serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--max-model-len", "256", "--threads", "1", "--served-model-name", "tiny", "--api-key", "chat-key");
        string[] chat = ["chat", "--base-url", $"http://127.0.0.1:{port}/v1", "--api-key", "chat-key", "--max-tokens", "4"];

        var twoTurns = CliRunner.RunWithInput("Hello\nTell me more.\n", chat);

        Assert.True(twoTurns.ExitCode == 0, twoTurns.Stderr);
        Assert.Contains("Chatting with tiny", twoTurns.Stderr, StringComparison.Ordinal);
        var usages = Usage().Matches(twoTurns.Stderr).Select(m => (Prompt: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Completion: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(2, usages.Count);
        Assert.Equal(4, usages[0].Completion);
        // The second turn's prompt holds the first question and reply, so it is longer than both together.
        Assert.True(usages[1].Prompt > usages[0].Prompt + usages[0].Completion, twoTurns.Stderr);

        var exited = CliRunner.RunWithInput("Hello\n/exit\nnot sent\n", chat);

        Assert.True(exited.ExitCode == 0, exited.Stderr);
        Assert.Single(Usage().Matches(exited.Stderr));
    }

    [Fact]
    public void Chat_ShowsReasoningApartFromTheAnswer_AndSendsOnlyTheAnswerBack()
    {
        using var server = new ReasoningChatServer();

        var result = CliRunner.RunWithInput("Hi\nAgain\n", "chat", "--base-url", server.BaseUrl);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"{ReasoningChatServer.Reasoning}\n\n{ReasoningChatServer.Answer}\n", result.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal(2, server.ChatBodies.Count);
        Assert.Contains(ReasoningChatServer.Answer, server.ChatBodies[1], StringComparison.Ordinal);
        Assert.DoesNotContain(ReasoningChatServer.Reasoning, server.ChatBodies[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_WithNoServer_FailsWithOneClearLine()
    {
        var result = CliRunner.RunWithInput("Hello\n", "chat", "--base-url", $"http://127.0.0.1:{ServeProcess.FreePort()}/v1");

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: cannot reach http://127.0.0.1:", line, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\((\d+) prompt tokens, (\d+) completion tokens\)")]
    private static partial Regex Usage();
}
