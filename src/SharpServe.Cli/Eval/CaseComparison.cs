namespace SharpServe.Cli.Eval;

/// <summary>How closely a case could be compared: ids when the server returns them, else token strings, else text.</summary>
public enum ComparisonLevel
{
    TokenIds,
    TokenStrings,
    Text,
}

/// <summary>
/// One case's expected output against what the server produced, at the finest level both sides have.
/// <see cref="FirstDifference"/> is a token index (a character index at the text level), null when equal.
/// </summary>
public sealed record CaseComparison(RegressCase Case, ExpectedOutput Expected, CaseOutput Got, ComparisonLevel Level, int? FirstDifference)
{
    public bool Changed => FirstDifference is not null;

    public static CaseComparison Compare(RegressCase item, CaseOutput got)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(got);
        ExpectedOutput expected = item.Expected ?? throw new GoldenFileException($"case '{item.Id}' has no expected output; run with --update to write it");
        if (expected.TokenIds is { } expectedIds && got.TokenIds is { } gotIds)
        {
            // Same ids decoded to other text is a detokenizer regression, reported after the last token.
            int? at = FirstMismatch(expectedIds, gotIds) ?? (expected.Text == got.Text ? null : expectedIds.Count);
            return new CaseComparison(item, expected, got, ComparisonLevel.TokenIds, at);
        }

        if (expected.Tokens is { } expectedTokens && got.Tokens is { } gotTokens)
        {
            return new CaseComparison(item, expected, got, ComparisonLevel.TokenStrings, FirstMismatch(expectedTokens, gotTokens));
        }

        int? character = expected.Text == got.Text ? null : FirstMismatch([.. expected.Text], [.. got.Text]);
        return new CaseComparison(item, expected, got, ComparisonLevel.Text, character);
    }

    /// <summary>The first index where the lists differ, counting a missing element as a difference; null when equal.</summary>
    public static int? FirstMismatch<T>(IReadOnlyList<T> expected, IReadOnlyList<T> got)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(got);
        int common = Math.Min(expected.Count, got.Count);
        for (int i = 0; i < common; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(expected[i], got[i]))
            {
                return i;
            }
        }

        return expected.Count == got.Count ? null : common;
    }
}
