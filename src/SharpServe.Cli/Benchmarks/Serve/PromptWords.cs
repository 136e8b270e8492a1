namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// Prompt text from random common English words. The benchmark talks to servers whose tokenizers it does
/// not know, so it cannot draw token ids; a common lower-case word after a space is one token in the
/// BPE and SentencePiece vocabularies of current models, so N words come to roughly N prompt tokens.
/// </summary>
public static class PromptWords
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "she", "other", "its", "may", "these", "what", "them", "than", "some", "him", "time",
        "into", "only", "do", "out", "could", "new", "people", "first", "also", "any", "two", "like", "our",
        "then", "over", "such", "made", "after", "most", "many", "well", "where", "before", "must", "through",
        "back", "years", "much", "your", "way", "down", "should", "because", "each", "just", "those", "how",
        "work", "long", "world", "good", "day", "great", "life", "still", "man", "here", "year", "water", "state",
        "house", "same", "small", "part", "place", "hand", "high", "old", "school", "large", "number", "city",
        "light", "power", "music", "river", "table", "paper", "green", "market", "night", "story", "money",
        "field", "street", "train", "door", "road", "book", "family", "window", "country", "voice", "garden",
    ];

    /// <summary><paramref name="count"/> words drawn by <paramref name="random"/>, separated by spaces.</summary>
    public static string Draw(int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => Words[random.Next(Words.Length)]));
    }
}
