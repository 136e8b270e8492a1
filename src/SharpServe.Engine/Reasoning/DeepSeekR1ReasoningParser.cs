namespace SharpServe.Engine.Reasoning;

/// <summary>
/// vLLM's <c>deepseek_r1</c> reasoning parser on a whole completion: text before <c>&lt;/think&gt;</c> is
/// reasoning, text after it is content. The R1 chat template puts <c>&lt;think&gt;</c> in the prompt, so the
/// completion usually starts inside the reasoning; a <c>&lt;think&gt;</c> the model does emit first is dropped.
/// </summary>
public static class DeepSeekR1ReasoningParser
{
    public const string StartTag = "<think>";
    public const string EndTag = "</think>";

    /// <summary>
    /// Reasoning is never null (possibly ""). Content is null when there is no <c>&lt;/think&gt;</c>, and also
    /// when nothing follows it: vLLM returns <c>content or None</c>, so a generation that stops right after
    /// the tag reports null content rather than "".
    /// </summary>
    public static (string? Reasoning, string? Content) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> rest = text.AsSpan();
        if (rest.StartsWith(StartTag, StringComparison.Ordinal))
        {
            rest = rest[StartTag.Length..];
        }

        int end = rest.IndexOf(EndTag, StringComparison.Ordinal);
        if (end < 0)
        {
            return (rest.ToString(), null);
        }

        ReadOnlySpan<char> content = rest[(end + EndTag.Length)..];
        return (rest[..end].ToString(), content.IsEmpty ? null : content.ToString());
    }
}
