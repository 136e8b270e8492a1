using System.Globalization;

namespace SharpServe.Engine.Templates;

/// <summary>Binary operators with Python semantics; mixing incompatible types is a TemplateException.</summary>
internal static class Operators
{
    public static object? Binary(string op, object? left, object? right, int line) => op switch
    {
        "==" => Values.AreEqual(left, right),
        "!=" => !Values.AreEqual(left, right),
        "<" => Values.Compare(left, right, line) < 0,
        ">" => Values.Compare(left, right, line) > 0,
        "<=" => Values.Compare(left, right, line) <= 0,
        ">=" => Values.Compare(left, right, line) >= 0,
        "in" => Contains(right, left, line),
        "~" => Values.ToText(left) + Values.ToText(right),
        "+" => Add(left, right, line),
        "-" or "*" or "/" or "//" or "%" => Arithmetic(op, left, right, line),
        _ => throw new TemplateException(line, $"unsupported operator '{op}'"),
    };

    private static bool Contains(object? container, object? item, int line) => (container, item) switch
    {
        (string s, string sub) => s.Contains(sub, StringComparison.Ordinal),
        (List<object?> list, _) => list.Any(x => Values.AreEqual(x, item)),
        (Dictionary<string, object?> d, string key) => d.ContainsKey(key),
        (Dictionary<string, object?>, _) => false,
        (Undefined, _) => false,
        _ => throw new TemplateException(line, $"'in' needs a string, list or dict on the right, got {Values.TypeName(container)}"),
    };

    private static object? Add(object? left, object? right, int line) => (left, right) switch
    {
        (string a, string b) => a + b,
        (List<object?> a, List<object?> b) => a.Concat(b).ToList(),
        _ => Arithmetic("+", left, right, line),
    };

    private static object? Arithmetic(string op, object? left, object? right, int line)
    {
        if (left is string s && right is long n && op == "*")
        {
            return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
        }

        if (left is long a && right is long b && op != "/")
        {
            return op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                _ when b == 0 => throw new TemplateException(line, "integer division or modulo by zero"),
                "//" => (long)Math.Floor((double)a / b),
                _ => ((a % b) + b) % b,
            };
        }

        if (Values.IsNumber(left) && Values.IsNumber(right))
        {
            double x = Convert.ToDouble(left, CultureInfo.InvariantCulture);
            double y = Convert.ToDouble(right, CultureInfo.InvariantCulture);
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "/" => x / y,
                "//" => Math.Floor(x / y),
                _ => x - (y * Math.Floor(x / y)),
            };
        }

        throw new TemplateException(line, $"unsupported operand types for {op}: {Values.TypeName(left)} and {Values.TypeName(right)}");
    }
}
