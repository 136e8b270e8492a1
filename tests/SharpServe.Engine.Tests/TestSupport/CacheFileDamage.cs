namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>The damage every load-time cache (int8, head types) must detect and rebuild from, applied to a good cache file.</summary>
internal static class CacheFileDamage
{
    /// <summary>
    /// "truncated" (the first half of <paramref name="good"/>) or "garbage header" (bytes 4–63 overwritten) written to
    /// <paramref name="file"/>; false for any other kind, which the caller applies itself.
    /// </summary>
    public static bool TryApply(string file, byte[] good, string damage)
    {
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(file, good[..(good.Length / 2)]);
                return true;
            case "garbage header":
                var bytes = (byte[])good.Clone();
                bytes.AsSpan(4, 60).Fill(0xEE);
                File.WriteAllBytes(file, bytes);
                return true;
            default:
                return false;
        }
    }
}
