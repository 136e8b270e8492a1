using System.Text.Json;

namespace SharpServe.Server.Protocol;

/// <summary>One chat turn; content is a string or a list of content parts (only text parts are understood).</summary>
public sealed class ChatMessage
{
    public string? Role { get; init; }

    public JsonElement? Content { get; init; }
}
