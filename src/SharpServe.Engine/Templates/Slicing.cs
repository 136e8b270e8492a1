namespace SharpServe.Engine.Templates;

/// <summary>Python indexing and slicing (negative indices, x[::-1]) for lists and strings.</summary>
internal static class Slicing
{
    /// <summary>Maps a possibly negative index to a position, or null when out of range (Jinja yields undefined).</summary>
    public static int? NormalizeIndex(long index, int count)
    {
        long at = index < 0 ? index + count : index;
        return at >= 0 && at < count ? (int)at : null;
    }

    public static object? Slice(object? target, object? start, object? stop, object? step, int line)
    {
        long stride = step switch
        {
            null => 1,
            long s when s != 0 => s,
            _ => throw new TemplateException(line, "slice step must be a non-zero integer"),
        };

        return target switch
        {
            List<object?> list => Positions(list.Count, start, stop, stride, line).Select(i => list[i]).ToList(),
            string s => string.Concat(Positions(s.Length, start, stop, stride, line).Select(i => s[i])),
            _ => throw new TemplateException(line, $"cannot slice {Values.TypeName(target)}"),
        };
    }

    // The positions Python's slice.indices() visits.
    private static IEnumerable<int> Positions(int count, object? start, object? stop, long step, int line)
    {
        long first = Bound(start, count, step > 0 ? 0 : count - 1, step, line);
        long end = Bound(stop, count, step > 0 ? count : -1, step, line);
        for (long i = first; step > 0 ? i < end : i > end; i += step)
        {
            yield return (int)i;
        }
    }

    private static long Bound(object? value, int count, long fallback, long step, int line)
    {
        if (value is null)
        {
            return fallback;
        }

        long v = value as long? ?? throw new TemplateException(line, "slice bounds must be integers");
        if (v < 0)
        {
            v += count;
        }

        return step > 0 ? Math.Clamp(v, 0, count) : Math.Clamp(v, -1, count - 1);
    }
}
