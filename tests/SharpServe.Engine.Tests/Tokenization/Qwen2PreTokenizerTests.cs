using System.Text;
using System.Text.RegularExpressions;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

public sealed partial class Qwen2PreTokenizerTests
{
    /// <summary>
    /// Splits of the Qwen2 pattern by Oniguruma 6.9.8 (the regex library of HF tokenizers), produced
    /// offline with jq 1.6's match(pattern; "g"): code-point letters and digits outside the BMP, 'ſ
    /// folding to 's, U+0085 and other \s members, and the whitespace backtracking rules.
    /// </summary>
    public static TheoryData<string, string[]> OnigurumaSplits() => new()
    {
        { "a\U00020000b c\U0001D400\U0001D401 \U0001D7CE\U0001D7CFx \U00020000\U00020001", ["a\U00020000b", " c\U0001D400\U0001D401", " ", "\U0001D7CE", "\U0001D7CF", "x", " \U00020000\U00020001"] },
        { "it'\u017F IT'S we'LL 'RE'Ve I'M DON'T y'all 'd", ["it", "'\u017F", " IT", "'S", " we", "'LL", " '", "RE", "'Ve", " I", "'M", " DON", "'T", " y", "'all", " '", "d"] },
        { "x\u0085y  \u0085\u000A z\u0085", ["x", "\u0085y", "  \u0085\u000A", " z", "\u0085"] },
        { "\u3000\u4E2D\u6587\u3000 ok\u3000\u3000", ["\u3000\u4E2D\u6587", "\u3000", " ok", "\u3000\u3000"] },
        { "a\u00A0b \u00A0c\u00A0\u00A0d", ["a", "\u00A0b", " ", "\u00A0c", "\u00A0", "\u00A0d"] },
        { "tab\u0009\u0009x\u000D\u000A\u000D\u000A  y   ", ["tab", "\u0009", "\u0009x", "\u000D\u000A\u000D\u000A", " ", " y", "   "] },
        { "!!!\u000A\u000A\u000Aabc ?!\u000D\u000A", ["!!!\u000A\u000A\u000A", "abc", " ?!\u000D\u000A"] },
        { "emoji \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466\U0001F3FD!? \U0001F44D\U0001F3FFx", ["emoji", " \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466\U0001F3FD!?", " \U0001F44D\U0001F3FF", "x"] },
        { "\u2028line\u2029para \u2028", ["\u2028line", "\u2029para", " \u2028"] },
        { "\u0661\u0662\u0663 \u0664 \u216B \u217B \u00BD \u00B2\u00B3", ["\u0661", "\u0662", "\u0663", " ", "\u0664", " ", "\u216B", " ", "\u217B", " ", "\u00BD", " ", "\u00B2", "\u00B3"] },
        { "q\u0301x \u0301\u0302 a\u200Db\uFEFFc", ["q", "\u0301x", " \u0301\u0302", " a", "\u200Db", "\uFEFFc"] },
        { "   leading and trailing   ", ["  ", " leading", " and", " trailing", "   "] },
        { "x\u000B\u000Cy \u000B z", ["x", "\u000B", "\u000Cy", " \u000B", " z"] },
        { "ab12cd 3.14 1,000,000", ["ab", "1", "2", "cd", " ", "3", ".", "1", "4", " ", "1", ",", "0", "0", "0", ",", "0", "0", "0"] },
        { "  \u000A\u0009 \u000D\u000A\u000A  \u0009", ["  \u000A\u0009 \u000D\u000A\u000A", "  \u0009"] },
        { " 'hello' \"q\" 's", [" '", "hello", "'", " \"", "q", "\"", " '", "s"] },
    };

    [Theory]
    [MemberData(nameof(OnigurumaSplits))]
    public void SplitsLikeOniguruma(string text, string[] expected)
    {
        Assert.Equal(expected, Split(text));
    }

    /// <summary>
    /// On text whose letters and digits are all in the BMP and with no 'ſ, .NET's Regex with the same
    /// pattern is exact, so random strings over the characters that matter must split identically.
    /// </summary>
    [Fact]
    public void SplitsLikeDotNetRegexOnRandomBmpText()
    {
        const string alphabet = "aZé中한ع1٣½Ⅻ '\"!?.,-_\t\n\r\u000b\u000c\u0085\u00a0\u3000\u2028\u0301\u200dsStTrReEvVmMlLdD";
        var random = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            var text = new StringBuilder();
            int length = random.Next(1, 24);
            for (int c = 0; c < length; c++)
            {
                text.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string s = text.ToString();
            Assert.Equal(Qwen2Pattern().Matches(s).Select(m => m.Value), Split(s));
        }
    }

    [Fact]
    public void PatternConstantIsTheQwen2Regex()
    {
        Assert.Equal(Qwen2PreTokenizer.Pattern, Qwen2Pattern().ToString());
    }

    private static List<string> Split(string text)
    {
        var pieces = new List<(int Start, int Length)>();
        Qwen2PreTokenizer.Split(text, pieces);
        return pieces.Select(p => text.Substring(p.Start, p.Length)).ToList();
    }

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Qwen2Pattern();
}
