using System.Text.Json;
using SharpServe.Server.Errors;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Chat;

/// <summary>Request messages as the chat template sees them: role and content strings.</summary>
public static class ChatMessages
{
    public static IReadOnlyList<IReadOnlyDictionary<string, object?>> ToTemplateMessages(IReadOnlyList<ChatMessage>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty list", "messages");
        }

        return [.. messages.Select((message, i) => new Dictionary<string, object?>
        {
            ["role"] = string.IsNullOrEmpty(message.Role) ? throw ApiException.BadRequest($"messages[{i}] has no role", "messages") : message.Role,
            ["content"] = ContentText(message.Content, i),
        })];
    }

    /// <summary>A string, null, or a list of content parts whose text parts are joined (images and audio are refused).</summary>
    private static string? ContentText(JsonElement? content, int index) => content?.ValueKind switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.String => content.Value.GetString(),
        JsonValueKind.Array => string.Concat(content.Value.EnumerateArray().Select(part => TextPart(part, index))),
        _ => throw ApiException.BadRequest($"messages[{index}].content must be a string or a list of content parts", "messages"),
    };

    private static string TextPart(JsonElement part, int index) =>
        part.ValueKind == JsonValueKind.Object
        && part.TryGetProperty("type", out JsonElement type) && type.ValueEquals("text")
        && part.TryGetProperty("text", out JsonElement text) && text.ValueKind == JsonValueKind.String
            ? text.GetString()!
            : throw ApiException.BadRequest($"messages[{index}].content: only text parts are supported", "messages");
}
