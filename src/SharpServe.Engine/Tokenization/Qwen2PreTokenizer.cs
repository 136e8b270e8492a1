using System.Globalization;
using System.Text;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Splits normalized text into the pieces that BPE encodes one by one, exactly as the Qwen2
/// <c>Split</c> pre-tokenizer does with <see cref="Pattern"/> under Oniguruma (what Hugging Face
/// tokenizers uses).
/// </summary>
/// <remarks>
/// A hand-written matcher rather than <see cref="System.Text.RegularExpressions.Regex"/>, because
/// .NET's regex works on UTF-16 code units: a letter or digit outside the BMP (𠀀, 𝐀, 𝟎) is two
/// surrogates of category Cs there, so <c>\p{L}</c> / <c>\p{N}</c> would not match it, and
/// <c>(?i:'s)</c> does not match <c>'ſ</c> as Oniguruma's Unicode case folding does. The matcher
/// works on code points and tries the alternatives in pattern order with the regex's greedy and
/// backtracking outcome worked out per alternative. Input must contain no lone surrogates.
/// </remarks>
internal static class Qwen2PreTokenizer
{
    /// <summary>The pattern as written in Qwen2's tokenizer.json.</summary>
    public const string Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private enum CharClass
    {
        Letter,
        Number,
        Newline,
        OtherSpace,
        Other,
    }

    /// <summary>Appends the (start, length) of each piece of <paramref name="text"/>, in order.</summary>
    public static void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> pieces)
    {
        int position = 0;
        while (position < text.Length)
        {
            int end = MatchAt(text, position);
            pieces.Add((position, end - position));
            position = end;
        }
    }

    private static int MatchAt(ReadOnlySpan<char> text, int start)
    {
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (text[start] == '\'' && ContractionLength(text[(start + 1)..]) is > 0 and int suffix)
        {
            return start + 1 + suffix;
        }

        var (first, firstLength) = ClassAt(text, start);
        int afterFirst = start + firstLength;
        var second = afterFirst < text.Length ? ClassAt(text, afterFirst).Class : (CharClass?)null;

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (first == CharClass.Letter)
        {
            return SkipWhile(text, start, CharClass.Letter);
        }

        if (first is CharClass.OtherSpace or CharClass.Other && second == CharClass.Letter)
        {
            return SkipWhile(text, afterFirst, CharClass.Letter);
        }

        // \p{N}: one digit at a time
        if (first == CharClass.Number)
        {
            return afterFirst;
        }

        // " ?[^\s\p{L}\p{N}]+[\r\n]*"
        int symbolStart = text[start] == ' ' && second == CharClass.Other ? afterFirst : start;
        if (ClassAt(text, symbolStart).Class == CharClass.Other)
        {
            int symbolsEnd = SkipWhile(text, symbolStart, CharClass.Other);
            return SkipWhile(text, symbolsEnd, CharClass.Newline);
        }

        // Only whitespace is left; all of it is in the BMP, so chars are code points here.
        int runEnd = start;
        int lastNewline = -1;
        while (runEnd < text.Length && ClassAt(text, runEnd).Class is CharClass.Newline or CharClass.OtherSpace)
        {
            if (text[runEnd] is '\r' or '\n')
            {
                lastNewline = runEnd;
            }

            runEnd++;
        }

        // \s*[\r\n]+ : \s* backtracks to the run's last line break, [\r\n]+ takes just that one.
        if (lastNewline >= 0)
        {
            return lastNewline + 1;
        }

        // \s+(?!\S) : the whole run at the end of text, else all but its last char (which then
        // starts the next piece, e.g. the space before a word); \s+ : a single-char run.
        return runEnd == text.Length || runEnd - start == 1 ? runEnd : runEnd - 1;
    }

    /// <summary>Length of a contraction suffix after an apostrophe, 0 if none; case folding as Oniguruma's (ſ folds to s).</summary>
    private static int ContractionLength(ReadOnlySpan<char> rest)
    {
        static char Fold(char c) => c == 'ſ' ? 's' : char.ToLowerInvariant(c);

        if (rest.IsEmpty)
        {
            return 0;
        }

        char a = Fold(rest[0]);
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 1;
        }

        char b = rest.Length > 1 ? Fold(rest[1]) : '\0';
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 2 : 0;
    }

    private static int SkipWhile(ReadOnlySpan<char> text, int position, CharClass wanted)
    {
        while (position < text.Length)
        {
            var (found, length) = ClassAt(text, position);
            if (found != wanted)
            {
                break;
            }

            position += length;
        }

        return position;
    }

    private static (CharClass Class, int Length) ClassAt(ReadOnlySpan<char> text, int position)
    {
        Rune.DecodeFromUtf16(text[position..], out var rune, out int length);
        return (Classify(rune), length);
    }

    // \s is Oniguruma's (and .NET's) set: \t \n \v \f \r, U+0085 and the Z categories.
    private static CharClass Classify(Rune rune)
    {
        if (rune.Value is '\r' or '\n')
        {
            return CharClass.Newline;
        }

        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return CharClass.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return CharClass.Number;
            case UnicodeCategory.SpaceSeparator:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return CharClass.OtherSpace;
            default:
                return rune.Value is '\t' or '\v' or '\f' or '\u0085' ? CharClass.OtherSpace : CharClass.Other;
        }
    }
}
