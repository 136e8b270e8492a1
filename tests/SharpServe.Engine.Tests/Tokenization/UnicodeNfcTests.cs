using System.Text;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>Our NFC against ADRaffy.ENSNormalize's, an independent pure-C# NFC (string.Normalize is a no-op without ICU).</summary>
public sealed class UnicodeNfcTests
{
    [Fact]
    public void EveryCodePointMatchesIndependentNfc()
    {
        var differences = new List<string>();
        for (int codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            string text = char.ConvertFromUtf32(codePoint);
            string ours = UnicodeNfc.Normalize(text);
            if (ours != IndependentNfc.Normalize(text))
            {
                differences.Add($"U+{codePoint:X4}");
            }
        }

        Assert.Empty(differences);
    }

    [Fact]
    public void RandomMarkSequencesMatchIndependentNfc()
    {
        // Bases that compose, marks of several classes (reordering), Hangul jamo, and exclusions.
        int[] pool =
        [
            'A', 'a', 'E', 'e', 'O', 'o', 'U', 'u', 'S', 's', 0xC5, 0xE9, 0x1E00, 0x212B, 0x2126, 0x0958, 0x0F73, 0x0344,
            0x0300, 0x0301, 0x0302, 0x0303, 0x0307, 0x0308, 0x030A, 0x031B, 0x0323, 0x0327, 0x0328, 0x0345, 0x05B0, 0x093C,
            0x0951, 0x0F71, 0x0F72, 0x0F80, 0x3099, 0x309A, 0x304B, 0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01, 0x1D15E, 0x1D165,
        ];
        var random = new Random(11);
        for (int i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder();
            int length = random.Next(1, 8);
            for (int k = 0; k < length; k++)
            {
                text.Append(char.ConvertFromUtf32(pool[random.Next(pool.Length)]));
            }

            string s = text.ToString();
            Assert.Equal(IndependentNfc.Normalize(s), UnicodeNfc.Normalize(s));
        }
    }

    [Theory]
    [InlineData("cafe\u0301", "café")]
    [InlineData("\u1100\u1161\u11A8", "각")]
    [InlineData("a\u0323\u0302", "ậ")]
    [InlineData("a\u0302\u0323", "ậ")]
    [InlineData("\u212B", "Å")]
    [InlineData("\u0958", "\u0915\u093C")]
    [InlineData("plain ASCII", "plain ASCII")]
    public void KnownCases(string input, string expected)
    {
        Assert.Equal(expected, UnicodeNfc.Normalize(input));
    }

    [Fact]
    public void NormalizedTextIsReturnedAsIs()
    {
        string text = "已经是NFC的文本 é";
        Assert.Same(text, UnicodeNfc.Normalize(text));
    }
}
