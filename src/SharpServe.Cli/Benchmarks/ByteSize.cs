using System.Globalization;

namespace SharpServe.Cli.Benchmarks;

/// <summary>Byte counts as users write them: 2147483648, 2GiB, 512MiB, 1.5G.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("B", 1),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        long factor = 1;
        foreach (var (suffix, unitFactor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                trimmed = trimmed[..^suffix.Length];
                factor = unitFactor;
                break;
            }
        }

        bool ok = double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value * factor < long.MaxValue;
        bytes = ok ? (long)(value * factor) : 0;
        return ok;
    }
}
