using System.Globalization;

namespace SharpServe.Fleet.Memory;

/// <summary>
/// Parses the text of /proc/PID/smaps_rollup and /proc/PID/smaps (proc(5)). Pure functions over
/// text, so the parsing is tested on fixed samples and <see cref="ProcessMemory"/> only reads files.
/// </summary>
public static class SmapsText
{
    private const long BytesPerKiB = 1024;

    /// <summary>The Rss and Pss lines of smaps_rollup; a missing line is a <see cref="FormatException"/> naming it.</summary>
    public static ProcessMemoryUsage ParseRollup(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (TryParseField(line, out string name, out long bytes))
            {
                fields[name] = bytes;
            }
        }

        // Pss_Anon/Pss_File/Pss_Shmem appeared in Linux 5.3; an older kernel gets a clear error rather than zeros.
        long Required(string name) => fields.TryGetValue(name, out long bytes)
            ? bytes
            : throw new FormatException($"smaps_rollup has no '{name}:' line (Linux 5.3 or later has it)");

        return new ProcessMemoryUsage(Required("Rss"), Required("Pss"), Required("Pss_Anon"), Required("Pss_File"), Required("Pss_Shmem"));
    }

    /// <summary>
    /// The Pss summed over the mappings whose pathname is exactly <paramref name="mappedPath"/>
    /// (a file is mapped as one or more entries, e.g. when part of it is protected differently).
    /// </summary>
    public static long SumPss(string smaps, string mappedPath)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        ArgumentException.ThrowIfNullOrEmpty(mappedPath);
        long total = 0;
        bool inMapping = false;
        foreach (string line in smaps.Split('\n'))
        {
            if (TryParseHeaderPath(line, out string? path))
            {
                inMapping = path == mappedPath;
            }
            else if (inMapping && TryParseField(line, out string name, out long bytes) && name == "Pss")
            {
                total += bytes;
            }
        }

        return total;
    }

    /// <summary>A "Name:   123 kB" line, converted to bytes.</summary>
    private static bool TryParseField(string line, out string name, out long bytes)
    {
        name = "";
        bytes = 0;
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !line.EndsWith(" kB", StringComparison.Ordinal))
        {
            return false;
        }

        string value = line[(colon + 1)..^3].Trim();
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
        {
            throw new FormatException($"smaps line '{line}' does not hold a whole number of kB");
        }

        name = line[..colon];
        bytes = kib * BytesPerKiB;
        return true;
    }

    /// <summary>
    /// A mapping's header, "start-end perms offset dev inode [pathname]"; the pathname (null for
    /// anonymous memory) is everything after the fifth field and may contain spaces.
    /// </summary>
    private static bool TryParseHeaderPath(string line, out string? path)
    {
        path = null;
        string[] parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5 || !IsAddressRange(parts[0]))
        {
            return false;
        }

        path = parts.Length == 6 ? parts[5].Trim() : null;
        return true;
    }

    private static bool IsAddressRange(string field)
    {
        int dash = field.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && long.TryParse(field.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _)
            && ulong.TryParse(field.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);
    }
}
