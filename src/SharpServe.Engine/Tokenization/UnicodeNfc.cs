using System.Text;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Unicode NFC (canonical decomposition, canonical ordering, canonical composition; UAX #15).
/// </summary>
/// <remarks>
/// Our own because the engine runs with InvariantGlobalization (a self-contained build without ICU),
/// where <see cref="string.Normalize()"/> leaves non-ASCII text untouched. Tokenizers must NFC their
/// input: "é" typed as e + U+0301 has to give the ids of "é".
/// </remarks>
internal static class UnicodeNfc
{
    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    // Below U+0300 nothing decomposes, combines or composes with what follows.
    private const char FirstInterestingChar = '\u0300';

    private static readonly Lazy<Tables> Data = new(Tables.Build);

    /// <summary>The NFC form of <paramref name="text"/>, which must hold no lone surrogates; the same instance when already NFC.</summary>
    public static string Normalize(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange(FirstInterestingChar, char.MaxValue))
        {
            return text;
        }

        var tables = Data.Value;
        var codePoints = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            Decompose(rune.Value, codePoints, tables);
        }

        SortCombiningMarks(codePoints, tables);
        Compose(codePoints, tables);

        var builder = new StringBuilder(text.Length);
        foreach (int codePoint in codePoints)
        {
            builder.Append(new Rune(codePoint).ToString());
        }

        string result = builder.ToString();
        return result == text ? text : result;
    }

    private static void Decompose(int codePoint, List<int> output, Tables tables)
    {
        int sIndex = codePoint - HangulSBase;
        if (sIndex is >= 0 and < HangulSCount)
        {
            output.Add(HangulLBase + sIndex / HangulNCount);
            output.Add(HangulVBase + sIndex % HangulNCount / HangulTCount);
            if (sIndex % HangulTCount != 0)
            {
                output.Add(HangulTBase + sIndex % HangulTCount);
            }
        }
        else if (tables.Decompositions.TryGetValue(codePoint, out var parts))
        {
            Decompose(parts.First, output, tables);
            if (parts.Second != 0)
            {
                Decompose(parts.Second, output, tables);
            }
        }
        else
        {
            output.Add(codePoint);
        }
    }

    // Stable insertion sort of each run of non-starters by combining class.
    private static void SortCombiningMarks(List<int> codePoints, Tables tables)
    {
        for (int i = 1; i < codePoints.Count; i++)
        {
            int current = codePoints[i];
            int currentClass = tables.CombiningClass(current);
            if (currentClass == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0 && tables.CombiningClass(codePoints[j - 1]) > currentClass)
            {
                codePoints[j] = codePoints[j - 1];
                j--;
            }

            codePoints[j] = current;
        }
    }

    // A mark composes with the last starter unless something between them blocks it: a starter, or
    // a mark of the same or higher class. Composed characters are removed in place.
    private static void Compose(List<int> codePoints, Tables tables)
    {
        if (codePoints.Count == 0)
        {
            return;
        }

        int starter = 0;
        int lastClass = tables.CombiningClass(codePoints[0]) == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < codePoints.Count; read++)
        {
            int current = codePoints[read];
            int currentClass = tables.CombiningClass(current);
            if ((lastClass < currentClass || lastClass == 0) && TryCompose(codePoints[starter], current, tables, out int composed))
            {
                codePoints[starter] = composed;
                continue;
            }

            if (currentClass == 0)
            {
                starter = write;
            }

            lastClass = currentClass;
            codePoints[write++] = current;
        }

        codePoints.RemoveRange(write, codePoints.Count - write);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composed)
    {
        int lIndex = first - HangulLBase, vIndex = second - HangulVBase;
        if (lIndex is >= 0 and < HangulLCount && vIndex is >= 0 and < HangulVCount)
        {
            composed = HangulSBase + (lIndex * HangulVCount + vIndex) * HangulTCount;
            return true;
        }

        int sIndex = first - HangulSBase, tIndex = second - HangulTBase;
        if (sIndex is >= 0 and < HangulSCount && sIndex % HangulTCount == 0 && tIndex is > 0 and < HangulTCount)
        {
            composed = first + tIndex;
            return true;
        }

        return tables.Compositions.TryGetValue(((long)first << 32) | (uint)second, out composed);
    }

    private sealed class Tables
    {
        public Dictionary<int, (int First, int Second)> Decompositions { get; } = [];
        public Dictionary<long, int> Compositions { get; } = [];
        private Dictionary<int, int> CombiningClasses { get; } = [];

        public int CombiningClass(int codePoint) => CombiningClasses.GetValueOrDefault(codePoint);

        public static Tables Build()
        {
            var tables = new Tables();
            var excluded = new HashSet<int>();
            foreach (int codePoint in UnicodeNfcData.CompositionExclusions)
            {
                excluded.Add(codePoint);
            }

            var decompositions = UnicodeNfcData.Decompositions;
            for (int i = 0; i < decompositions.Length; i += 3)
            {
                int codePoint = decompositions[i], first = decompositions[i + 1], second = decompositions[i + 2];
                tables.Decompositions[codePoint] = (first, second);
                if (second != 0 && !excluded.Contains(codePoint))
                {
                    tables.Compositions[((long)first << 32) | (uint)second] = codePoint;
                }
            }

            var ranges = UnicodeNfcData.CombiningClassRanges;
            for (int i = 0; i < ranges.Length; i += 3)
            {
                for (int codePoint = ranges[i]; codePoint <= ranges[i + 1]; codePoint++)
                {
                    tables.CombiningClasses[codePoint] = ranges[i + 2];
                }
            }

            return tables;
        }
    }
}
