using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpServe.Cli.Eval;

/// <summary>
/// The human-readable report: one line per case, then for each changed case where it diverges, with the ids
/// and text of a few tokens either side, and a summary line.
/// </summary>
public sealed class DiffPrinter(TextWriter output)
{
    private const int Before = 3;
    private const int After = 5;
    private const int TextWindow = 40;

    private static readonly JsonSerializerOptions Quoting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Case(CaseComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        string unit = comparison.Level == ComparisonLevel.Text ? "characters" : "tokens";
        int length = comparison.Level switch
        {
            ComparisonLevel.TokenIds => comparison.Expected.TokenIds!.Count,
            ComparisonLevel.TokenStrings => comparison.Expected.Tokens!.Count,
            _ => comparison.Expected.Text.Length,
        };
        output.WriteLine($"{(comparison.Changed ? "CHANGED" : "equal  ")} {comparison.Case.Id} ({LevelName(comparison.Level)}, {length} {unit})");
        if (comparison.Changed)
        {
            Divergence(comparison);
        }
    }

    public void Summary(IReadOnlyList<CaseComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        int changed = comparisons.Count(comparison => comparison.Changed);
        string levels = string.Join(", ", comparisons.GroupBy(comparison => comparison.Level).OrderBy(group => group.Key)
            .Select(group => $"{group.Count()} at the {LevelName(group.Key)} level"));
        output.WriteLine(changed == 0
            ? $"all {comparisons.Count} cases equal ({levels})"
            : $"{changed} of {comparisons.Count} cases changed ({levels})");
    }

    public static string LevelName(ComparisonLevel level) => level switch
    {
        ComparisonLevel.TokenIds => "token-id",
        ComparisonLevel.TokenStrings => "token-string",
        _ => "text",
    };

    private void Divergence(CaseComparison comparison)
    {
        int at = comparison.FirstDifference!.Value;
        ExpectedOutput expected = comparison.Expected;
        CaseOutput got = comparison.Got;
        switch (comparison.Level)
        {
            case ComparisonLevel.TokenIds when at >= expected.TokenIds!.Count && at >= got.TokenIds!.Count:
                output.WriteLine("    same token ids, but the text differs:");
                break;
            case ComparisonLevel.TokenIds:
                output.WriteLine($"    first difference at token {at}: expected {Item(expected.TokenIds!, at)}, got {Item(got.TokenIds!, at)}");
                output.WriteLine($"    expected ids    {Window(expected.TokenIds!, at, Id)}");
                output.WriteLine($"    got ids         {Window(got.TokenIds!, at, Id)}");
                TokenTexts(expected.Tokens, got.Tokens, at);
                break;
            case ComparisonLevel.TokenStrings:
                output.WriteLine($"    first difference at token {at}: expected {Item(expected.Tokens!, at, Quote)}, got {Item(got.Tokens!, at, Quote)}");
                TokenTexts(expected.Tokens, got.Tokens, at);
                break;
            default:
                output.WriteLine($"    first difference at character {at}");
                break;
        }

        output.WriteLine($"    expected text   {Quote(Around(expected.Text, comparison))}");
        output.WriteLine($"    got text        {Quote(Around(got.Text, comparison))}");
    }

    private void TokenTexts(IReadOnlyList<string>? expected, IReadOnlyList<string>? got, int at)
    {
        if (expected is not null)
        {
            output.WriteLine($"    expected tokens {Window(expected, at, Quote)}");
        }

        if (got is not null)
        {
            output.WriteLine($"    got tokens      {Window(got, at, Quote)}");
        }
    }

    /// <summary>The text near the divergence: at the text level around the character, else the whole (short) text.</summary>
    private static string Around(string text, CaseComparison comparison)
    {
        if (comparison.Level != ComparisonLevel.Text)
        {
            return text;
        }

        int start = Math.Max(0, comparison.FirstDifference!.Value - TextWindow);
        int end = Math.Min(text.Length, comparison.FirstDifference!.Value + TextWindow);
        return (start > 0 ? "…" : "") + text[start..end] + (end < text.Length ? "…" : "");
    }

    /// <summary>A few items before and after <paramref name="at"/>, the divergent one in brackets.</summary>
    private static string Window<T>(IReadOnlyList<T> items, int at, Func<T, string> show)
    {
        int start = Math.Max(0, at - Before);
        int end = Math.Min(items.Count, at + After);
        var parts = new List<string>();
        if (start > 0)
        {
            parts.Add("…");
        }

        for (int i = start; i < end; i++)
        {
            parts.Add(i == at ? $"[{show(items[i])}]" : show(items[i]));
        }

        if (at >= items.Count)
        {
            parts.Add("[end]");
        }
        else if (end < items.Count)
        {
            parts.Add("…");
        }

        return string.Join(' ', parts);
    }

    private static string Item<T>(IReadOnlyList<T> items, int at, Func<T, string>? show = null) =>
        at < items.Count ? (show ?? (item => Convert.ToString(item, CultureInfo.InvariantCulture) ?? ""))(items[at]) : "the end of the output";

    private static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string text) => JsonSerializer.Serialize(text, Quoting);
}
