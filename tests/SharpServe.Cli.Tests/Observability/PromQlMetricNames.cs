using System.Collections.Frozen;

namespace SharpServe.Cli.Tests.Observability;

/// <summary>
/// The metric names a PromQL expression selects, by a small tokenizer: an identifier outside braces, brackets and
/// strings that is not a function call, an aggregation, a keyword or a label list after by/without/on/ignoring.
/// Enough for dashboard queries; it does not validate (Prometheus does that).
/// </summary>
public static class PromQlMetricNames
{
    private static readonly FrozenSet<string> Keywords = FrozenSet.ToFrozenSet(
    [
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> LabelListKeywords = FrozenSet.ToFrozenSet(
        ["by", "without", "on", "ignoring", "group_left", "group_right"], StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyList<string> In(string expr)
    {
        ArgumentNullException.ThrowIfNull(expr);
        var names = new List<string>();
        int i = 0;
        while (i < expr.Length)
        {
            char c = expr[i];
            if (c is '"' or '\'' or '`')
            {
                i = AfterString(expr, i);
            }
            else if (c == '{')
            {
                i = AfterClosing(expr, i, '{', '}');
            }
            else if (c == '[')
            {
                i = AfterClosing(expr, i, '[', ']');
            }
            else if (c == '$' || char.IsAsciiDigit(c) || (c == '.' && i + 1 < expr.Length && char.IsAsciiDigit(expr[i + 1])))
            {
                // A Grafana variable, a number (0.99, 1e-3) or a duration (5m): never a metric name.
                i++;
                while (i < expr.Length && (IsIdentifierPart(expr[i]) || expr[i] == '.' || (expr[i] is '+' or '-' && expr[i - 1] is 'e' or 'E')))
                {
                    i++;
                }
            }
            else if (IsIdentifierStart(c))
            {
                int start = i;
                while (i < expr.Length && IsIdentifierPart(expr[i]))
                {
                    i++;
                }

                string word = expr[start..i];
                int next = SkipSpaces(expr, i);
                if (LabelListKeywords.Contains(word))
                {
                    i = next < expr.Length && expr[next] == '(' ? AfterClosing(expr, next, '(', ')') : next;
                }
                else if (!Keywords.Contains(word) && (next >= expr.Length || expr[next] != '('))
                {
                    names.Add(word);
                }
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':';

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int AfterString(string text, int i)
    {
        char quote = text[i++];
        while (i < text.Length && text[i] != quote)
        {
            i += text[i] == '\\' && quote != '`' ? 2 : 1;
        }

        return i + 1;
    }

    private static int AfterClosing(string text, int i, char open, char close)
    {
        int depth = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is '"' or '\'' or '`')
            {
                i = AfterString(text, i);
                continue;
            }

            depth += c == open ? 1 : c == close ? -1 : 0;
            i++;
            if (depth == 0)
            {
                break;
            }
        }

        return i;
    }
}
