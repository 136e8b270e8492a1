namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Cuts raw text at occurrences of added tokens (special or not), leftmost-longest, the way
/// Hugging Face tokenizers does before normalization, so "&lt;think&gt;" in a prompt is one id.
/// </summary>
internal sealed class AddedTokenSplitter
{
    // First char → candidates, longest first, so the first hit at a position is the longest.
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<(string Content, int Id)> addedTokens)
    {
        _byFirstChar = addedTokens
            .Where(token => token.Content.Length > 0)
            .GroupBy(token => token.Content[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(token => token.Content.Length).ToArray());
    }

    /// <summary>
    /// Calls <paramref name="onText"/> for each stretch of ordinary text and <paramref name="onAddedToken"/>
    /// for each added token, in order.
    /// </summary>
    public void Split(string text, Action<int, int> onText, Action<int> onAddedToken)
    {
        int textStart = 0;
        int position = 0;
        while (position < text.Length)
        {
            if (_byFirstChar.TryGetValue(text[position], out var candidates)
                && FindAt(text, position, candidates) is var (content, id))
            {
                if (position > textStart)
                {
                    onText(textStart, position - textStart);
                }

                onAddedToken(id);
                position += content.Length;
                textStart = position;
            }
            else
            {
                position++;
            }
        }

        if (text.Length > textStart)
        {
            onText(textStart, text.Length - textStart);
        }
    }

    private static (string Content, int Id)? FindAt(string text, int position, (string Content, int Id)[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (text.AsSpan(position).StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
