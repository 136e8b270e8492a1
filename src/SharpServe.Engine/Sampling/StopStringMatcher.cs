namespace SharpServe.Engine.Sampling;

/// <summary>What a text delta released: text safe to show, and the stop string when one completed.</summary>
public readonly record struct StopMatch(string Text, string? StopString)
{
    public bool Stopped => StopString is not null;
}

/// <summary>
/// Finds stop strings in streamed text. Text that could be the start of a stop string still forming across
/// token boundaries is held back; once a stop string completes, the output ends before it (or after it with
/// include_stop_str_in_output) and the rest is dropped.
/// </summary>
/// <remarks>
/// The stop string that completes first wins, the longer one if two end at the same character. vLLM picks
/// the first in list order among those found in the latest delta, which depends on how text was split into
/// deltas; ending-first gives the same result for every split, which the streamed API needs.
/// </remarks>
public sealed class StopStringMatcher(IReadOnlyList<string> stops, bool includeStopString)
{
    private readonly string[] _stops = [.. stops];
    private string _held = "";
    private bool _stopped;

    public StopMatch Push(string delta)
    {
        if (_stopped)
        {
            throw new InvalidOperationException("a stop string already ended this output");
        }

        string text = _held + delta;
        string? hit = null;
        int hitStart = 0;
        int hitEnd = int.MaxValue;
        foreach (string stop in _stops)
        {
            // Held text has no complete stop string, so the first occurrence is the earliest possible end.
            int start = text.IndexOf(stop, StringComparison.Ordinal);
            int end = start + stop.Length;
            if (start >= 0 && (end < hitEnd || (end == hitEnd && stop.Length > hit!.Length)))
            {
                (hit, hitStart, hitEnd) = (stop, start, end);
            }
        }

        if (hit is not null)
        {
            _stopped = true;
            _held = "";
            return new StopMatch(text[..(includeStopString ? hitEnd : hitStart)], hit);
        }

        int keep = HeldFrom(text);
        _held = text[keep..];
        return new StopMatch(text[..keep], null);
    }

    /// <summary>Releases held text when generation ends for another reason (EOS, length).</summary>
    public string Flush()
    {
        string rest = _held;
        _held = "";
        return rest;
    }

    /// <summary>Start of the longest suffix of <paramref name="text"/> that begins some stop string.</summary>
    private int HeldFrom(string text)
    {
        for (int from = 0; from < text.Length; from++)
        {
            ReadOnlySpan<char> suffix = text.AsSpan(from);
            foreach (string stop in _stops)
            {
                if (suffix.Length < stop.Length && stop.AsSpan().StartsWith(suffix, StringComparison.Ordinal))
                {
                    return from;
                }
            }
        }

        return text.Length;
    }
}
