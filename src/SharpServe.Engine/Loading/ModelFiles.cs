using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using SharpServe.Engine.Kernels.Native;

namespace SharpServe.Engine.Loading;

/// <summary>Opening the files of a checkpoint, with I/O problems reported as <see cref="ModelFormatException"/>.</summary>
internal static class ModelFiles
{
    /// <summary>Config and index files are small; a larger one is corrupt and is not read into memory.</summary>
    public const long MaxJsonBytes = 64L << 20;

    public static MappedFile Map(string path)
    {
        try
        {
            return MappedFile.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot open: {e.Message}", e);
        }
    }

    /// <summary>The text of a JSON file: at most <see cref="MaxJsonBytes"/>, valid UTF-8, BOM removed.</summary>
    public static string ReadJsonText(string path)
    {
        byte[] bytes;
        try
        {
            // Through the link: hub-cache snapshots are symlinks, whose own FileInfo length is the target path's.
            var info = new FileInfo(path);
            long length = (info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
            if (length > MaxJsonBytes)
            {
                throw new ModelFormatException(path, $"{length} bytes is too large for a JSON config file (limit {MaxJsonBytes})");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read: {e.Message}", e);
        }

        var text = bytes.AsSpan();
        if (text.StartsWith(Encoding.UTF8.Preamble))
        {
            text = text[Encoding.UTF8.Preamble.Length..];
        }

        return Utf8.IsValid(text) ? Encoding.UTF8.GetString(text) : throw new ModelFormatException(path, "not valid UTF-8");
    }

    /// <summary>Parses a JSON file whose root must be an object.</summary>
    public static JsonDocument ReadJsonObject(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(ReadJsonText(path));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"invalid JSON: {e.Message}", e);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new ModelFormatException(path, "the JSON root is not an object");
        }

        return document;
    }
}
