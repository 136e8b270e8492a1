using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace SharpServe.Cli.Commands;

/// <summary>
/// The chat loop: reads a line, streams the reply (reasoning dimmed and apart from the answer), keeps
/// the conversation so every turn sees the ones before. The reasoning is not sent back, as DeepSeek advises.
/// </summary>
internal sealed class ChatSession(OpenAIClient client, string baseUrl, int? maxTokens)
{
    private const string ExitCommand = "/exit";
    private const string Dim = "\e[2m";
    private const string Reset = "\e[0m";

    private readonly bool _terminal = !Console.IsOutputRedirected;
    private readonly List<ChatMessage> _history = [];

    public async Task<int> RunAsync(string? model)
    {
        try
        {
            string name = model ?? await FirstModelAsync();
            ChatClient chat = client.GetChatClient(name);
            Console.Error.WriteLine($"Chatting with {name} at {baseUrl}; {ExitCommand} or end of input quits.");
            while (Prompt() is { } line && line.Trim() != ExitCommand)
            {
                if (line.Trim().Length > 0)
                {
                    _history.Add(new UserChatMessage(line));
                    _history.Add(new AssistantChatMessage(await StreamReplyAsync(chat)));
                }
            }

            return 0;
        }
        catch (ClientResultException e) when (e.Status == 0)
        {
            throw new InvalidOperationException($"cannot reach {baseUrl}: {e.Message}; is the server running (sharpserve serve)?", e);
        }
        catch (ClientResultException e)
        {
            throw new InvalidOperationException($"{baseUrl} answered HTTP {e.Status}: {e.Message}", e);
        }
    }

    private async Task<string> FirstModelAsync()
    {
        var models = await client.GetOpenAIModelClient().GetModelsAsync();
        return models.Value.FirstOrDefault()?.Id ?? throw new InvalidOperationException($"{baseUrl} serves no models");
    }

    private string? Prompt()
    {
        if (_terminal)
        {
            Console.Write("> ");
        }

        return Console.ReadLine();
    }

    private async Task<string> StreamReplyAsync(ChatClient chat)
    {
        var answer = new StringBuilder();
        bool reasoning = false;
        ChatTokenUsage? usage = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(_history, new ChatCompletionOptions { MaxOutputTokenCount = maxTokens }))
        {
            if (ReasoningDelta(update) is { Length: > 0 } thought)
            {
                Console.Write(reasoning || !_terminal ? thought : Dim + thought);
                reasoning = true;
            }

            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                if (reasoning)
                {
                    // The answer begins: leave the dimmed reasoning behind a blank line.
                    Console.Write((_terminal ? Reset : "") + Environment.NewLine + Environment.NewLine);
                    reasoning = false;
                }

                Console.Write(part.Text);
                answer.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Console.WriteLine(reasoning && _terminal ? Reset : "");
        if (usage is not null)
        {
            Console.Error.WriteLine($"({usage.InputTokenCount} prompt tokens, {usage.OutputTokenCount} completion tokens)");
        }

        return answer.ToString();
    }

    /// <summary>
    /// The SDK has no property for <c>delta.reasoning_content</c> (nor its newer alias <c>reasoning</c>), but keeps
    /// unknown fields in the update's JSON patch (an experimental API, hence the pragma).
    /// </summary>
    private static string? ReasoningDelta(StreamingChatCompletionUpdate update)
    {
#pragma warning disable SCME0001
        return update.Patch.TryGetValue("$.choices[0].delta.reasoning_content"u8, out string? content) && content is not null ? content
            : update.Patch.TryGetValue("$.choices[0].delta.reasoning"u8, out string? alias) ? alias
            : null;
#pragma warning restore SCME0001
    }
}
