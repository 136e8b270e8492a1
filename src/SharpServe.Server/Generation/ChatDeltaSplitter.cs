using SharpServe.Engine.Reasoning;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Generation;

/// <summary>Turns a streamed chat choice's text pieces into deltas: plain content, or reasoning and content with a reasoning parser.</summary>
public sealed class ChatDeltaSplitter(bool splitReasoning)
{
    private readonly Dictionary<int, DeepSeekR1ReasoningStream> _streams = [];

    public ChatDelta Next(RequestOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!splitReasoning)
        {
            return new ChatDelta(null, output.Text);
        }

        DeepSeekR1ReasoningStream stream = _streams.TryGetValue(output.Index, out var known) ? known : _streams[output.Index] = new();
        var (reasoning, content) = stream.Push(output.Text);
        if (output.FinishReason is not null)
        {
            // Nothing follows the last output, so a tail held back as a possible tag is plain text after all.
            var (restReasoning, restContent) = stream.Finish();
            reasoning = Join(reasoning, restReasoning);
            content = Join(content, restContent);
        }

        return new ChatDelta(null, content, reasoning);
    }

    private static string? Join(string? first, string? second) => first is null ? second : first + second;

    /// <summary>The whole-reply form of the same split.</summary>
    public ChatResponseMessage Message(string role, string text) =>
        splitReasoning && DeepSeekR1ReasoningParser.Parse(text) is var (reasoning, content)
            ? new ChatResponseMessage(role, content, reasoning)
            : new ChatResponseMessage(role, text);
}
