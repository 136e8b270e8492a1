using System.Text;
using System.Text.Json;

namespace SharpServe.Fleet.Gateway;

/// <summary>What routing needs from a buffered request body: the model asked for and the start of the prompt text.</summary>
public sealed record RequestFacts(string? Model, string? PromptPrefix)
{
    /// <summary>Enough of a prompt to tell conversations apart (system prompt and first turns) without hashing whole documents.</summary>
    public const int PrefixChars = 1024;

    public static RequestFacts None { get; } = new(null, null);

    /// <summary>Reads "model" and the text of "messages" or "prompt"; a body that is not a JSON object gives neither (the instance will reject it).</summary>
    public static RequestFacts Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return None;
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return None;
            }

            JsonElement root = document.RootElement;
            string? model = root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var text = new StringBuilder();
            if (root.TryGetProperty("messages", out JsonElement messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement message in messages.EnumerateArray())
                {
                    if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out JsonElement content))
                    {
                        AppendText(text, content);
                    }

                    if (text.Length >= PrefixChars)
                    {
                        break;
                    }
                }
            }
            else if (root.TryGetProperty("prompt", out JsonElement prompt))
            {
                AppendText(text, prompt);
            }

            string? prefix = text.Length == 0 ? null : text.ToString(0, Math.Min(text.Length, PrefixChars));
            return new RequestFacts(model, prefix);
        }
        catch (JsonException)
        {
            return None;
        }
    }

    // A string, an array of content parts ({"type": "text", "text": ...}) or of prompts.
    private static void AppendText(StringBuilder text, JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                text.Append(content.GetString()).Append('\n');
                break;
            case JsonValueKind.Array:
                foreach (JsonElement part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out JsonElement partText))
                    {
                        AppendText(text, partText);
                    }
                    else if (part.ValueKind == JsonValueKind.String)
                    {
                        AppendText(text, part);
                    }
                }

                break;
        }
    }
}
