using System.Globalization;
using System.Text;

namespace SharpServe.Engine.Templates;

/// <summary>
/// The tojson filter as transformers defines it: json.dumps(x, ensure_ascii=False, indent=indent) — so ", " and
/// ": " separators without indent, "," plus newline-indent with it, keys in insertion order, non-ASCII kept.
/// </summary>
internal static class PythonJson
{
    public static string Serialize(object? value, int? indent, int line)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, 0, line);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int? indent, int depth, int line)
    {
        switch (value)
        {
            case null or Undefined:
                sb.Append("null");
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case long l:
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(double.IsFinite(d) ? Values.FormatFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                break;
            case string s:
                WriteString(sb, s);
                break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list, indent, depth, (item, d) => Write(sb, item, indent, d, line));
                break;
            case Dictionary<string, object?> dict:
                WriteContainer(sb, '{', '}', dict.ToList(), indent, depth, (kv, d) =>
                {
                    WriteString(sb, kv.Key);
                    sb.Append(": ");
                    Write(sb, kv.Value, indent, d, line);
                });
                break;
            case Namespace ns:
                Write(sb, ns.Attributes, indent, depth, line);
                break;
            default:
                throw new TemplateException(line, $"tojson cannot serialize {Values.TypeName(value)}");
        }
    }

    private static void WriteContainer<T>(StringBuilder sb, char open, char close, List<T> items, int? indent, int depth, Action<T, int> writeItem)
    {
        sb.Append(open);
        if (items.Count == 0)
        {
            sb.Append(close);
            return;
        }

        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(indent is null ? ", " : ",");
            }

            if (indent is int n)
            {
                sb.Append('\n').Append(' ', n * (depth + 1));
            }

            writeItem(items[i], depth + 1);
        }

        if (indent is int m)
        {
            sb.Append('\n').Append(' ', m * depth);
        }

        sb.Append(close);
    }

    // Python's json string escaping with ensure_ascii=False: only quotes, backslashes and control characters.
    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append(@"\\"),
                '\n' => sb.Append(@"\n"),
                '\r' => sb.Append(@"\r"),
                '\t' => sb.Append(@"\t"),
                '\b' => sb.Append(@"\b"),
                '\f' => sb.Append(@"\f"),
                < ' ' => sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => sb.Append(c),
            };
        }

        sb.Append('"');
    }
}
