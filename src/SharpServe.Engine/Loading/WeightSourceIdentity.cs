using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Names the weight files a checkpoint was read from by (resolved path, size, mtime), plus a format version, so a
/// derived cache file can tell whether it still matches its source. A changed or replaced file changes the identity;
/// reading the contents to hash them would cost as much as quantizing again.
/// </summary>
public static class WeightSourceIdentity
{
    public static string Describe(string checkpointPath, string formatVersion)
    {
        var text = new StringBuilder(formatVersion).Append('\n');
        foreach (string file in WeightFiles(checkpointPath))
        {
            // The hub cache's snapshot entries are symlinks to blobs: identify the blob, not the link.
            var info = new FileInfo(file);
            if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            {
                info = target;
            }

            text.Append(info.FullName).Append('|')
                .Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append('|')
                .Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A short file-name-safe key for <paramref name="identity"/>.</summary>
    public static string Key(string identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];

    /// <summary>A GGUF file is its own weights; a model directory's are its safetensors files (every one, sorted).</summary>
    private static IEnumerable<string> WeightFiles(string checkpointPath) => Directory.Exists(checkpointPath)
        ? Directory.GetFiles(checkpointPath, "*.safetensors").Order(StringComparer.Ordinal)
        : [checkpointPath];
}
