using System.Text;

namespace SharpServe.Engine.Reasoning;

/// <summary>
/// <see cref="DeepSeekR1ReasoningParser"/> over streamed text deltas. A tag can arrive split across deltas
/// ("&lt;/thi" + "nk&gt;"), so a tail that could still become a tag is held back until the next delta or
/// <see cref="Finish"/>. The reasoning deltas concatenate to the whole-text reasoning and the content deltas
/// to the whole-text content; an empty delta is reported as null. One instance per sequence; not thread-safe.
/// </summary>
public sealed class DeepSeekR1ReasoningStream
{
    private readonly StringBuilder _held = new();
    private Phase _phase = Phase.Start;

    private enum Phase
    {
        /// <summary>Nothing decided yet: the text so far may still be the opening tag.</summary>
        Start,
        Reasoning,
        Content,
        Finished,
    }

    /// <exception cref="InvalidOperationException">After <see cref="Finish"/>.</exception>
    public (string? ReasoningDelta, string? ContentDelta) Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (_phase == Phase.Finished)
        {
            throw new InvalidOperationException("the stream is already finished");
        }

        _held.Append(delta);
        if (_phase == Phase.Start && !LeaveStart())
        {
            return (null, null);
        }

        return _phase == Phase.Reasoning ? ScanReasoning() : (null, TakeHeld(_held.Length));
    }

    /// <summary>Releases the held-back tail: no tag can complete any more, so it is plain text of the current part.</summary>
    public (string? ReasoningDelta, string? ContentDelta) Finish()
    {
        var phase = _phase;
        _phase = Phase.Finished;
        string? rest = TakeHeld(_held.Length);
        return phase == Phase.Content ? (null, rest) : (rest, null);
    }

    // False while the text so far is a proper prefix of the opening tag; otherwise strips a complete one.
    private bool LeaveStart()
    {
        string start = DeepSeekR1ReasoningParser.StartTag;
        int common = Math.Min(_held.Length, start.Length);
        for (int i = 0; i < common; i++)
        {
            if (_held[i] != start[i])
            {
                _phase = Phase.Reasoning;
                return true;
            }
        }

        if (_held.Length < start.Length)
        {
            return false;
        }

        _held.Remove(0, start.Length);
        _phase = Phase.Reasoning;
        return true;
    }

    private (string? ReasoningDelta, string? ContentDelta) ScanReasoning()
    {
        string end = DeepSeekR1ReasoningParser.EndTag;
        string text = _held.ToString();
        int at = text.IndexOf(end, StringComparison.Ordinal);
        if (at >= 0)
        {
            _held.Clear();
            _phase = Phase.Content;
            return (NullIfEmpty(text[..at]), NullIfEmpty(text[(at + end.Length)..]));
        }

        return (TakeHeld(text.Length - PossibleEndTagPrefix(text)), null);
    }

    // Length of the longest tail of text that is a proper prefix of the closing tag.
    private static int PossibleEndTagPrefix(string text)
    {
        string end = DeepSeekR1ReasoningParser.EndTag;
        for (int length = Math.Min(end.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(end.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }

    private string? TakeHeld(int length)
    {
        string taken = _held.ToString(0, length);
        _held.Remove(0, length);
        return NullIfEmpty(taken);
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
