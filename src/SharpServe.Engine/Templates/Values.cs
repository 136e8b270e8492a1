using System.Collections;
using System.Globalization;
using System.Text;

namespace SharpServe.Engine.Templates;

/// <summary>
/// Python semantics over the template's value model: string, long, double, bool, null (None),
/// List&lt;object?&gt;, Dictionary&lt;string, object?&gt;, <see cref="Namespace"/> and <see cref="Undefined"/>.
/// </summary>
internal static class Values
{
    /// <summary>Normalizes caller data (any list/dictionary/number shapes) into the value model.</summary>
    public static object? FromHost(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int or short or byte or sbyte or uint or ushort => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float f => (double)f,
        decimal m => (double)m,
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromHost(kv.Value)),
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromHost(kv.Value)),
        IEnumerable e => e.Cast<object?>().Select(FromHost).ToList(),
        _ => throw new ArgumentException($"unsupported template value of type {value.GetType()}", nameof(value)),
    };

    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is long or double;

    /// <summary>Python str(): what {{ value }} prints.</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(value),
    };

    /// <summary>Python repr(), used for containers and non-string scalars.</summary>
    public static string Repr(object? value) => value switch
    {
        null => "None",
        Undefined => string.Empty,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => ReprString(s),
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        Dictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(kv => ReprString(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Namespace => "<Namespace>",
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Python float repr: shortest round-trip digits, always with a decimal point or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E', StringComparison.Ordinal))
        {
            // .NET writes 1E+16; Python writes 1e+16.
            r = r.Replace("E", "e", StringComparison.Ordinal);
            return r.Contains("e-", StringComparison.Ordinal) || r.Contains("e+", StringComparison.Ordinal) ? r : r.Replace("e", "e+", StringComparison.Ordinal);
        }

        return r.Contains('.', StringComparison.Ordinal) ? r : r + ".0";
    }

    private static string ReprString(string s)
    {
        // Python picks single quotes unless the text contains one and no double quote.
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            _ = c switch
            {
                '\\' => sb.Append(@"\\"),
                '\n' => sb.Append(@"\n"),
                '\r' => sb.Append(@"\r"),
                '\t' => sb.Append(@"\t"),
                _ when c == quote => sb.Append('\\').Append(c),
                _ => sb.Append(c),
            };
        }

        return sb.Append(quote).ToString();
    }

    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x == y,
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out object? other) && AreEqual(kv.Value, other)),
        (null, null) => true,
        _ => Equals(a, b),
    };

    /// <summary>Ordering for &lt; &gt; &lt;= &gt;=: numbers with numbers, strings with strings.</summary>
    public static int Compare(object? a, object? b, int line) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => throw new TemplateException(line, $"cannot compare {TypeName(a)} with {TypeName(b)}"),
    };

    /// <summary>What a for loop or the list filter walks: list items, dictionary keys, string characters.</summary>
    public static List<object?> Iterate(object? value, int line) => value switch
    {
        Undefined => [],
        List<object?> list => list,
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        _ => throw new TemplateException(line, $"{TypeName(value)} is not iterable"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "none",
        Undefined => "undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        Namespace => "namespace",
        _ => value.GetType().Name,
    };
}
