using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// Reads and writes a <see cref="SharedWeightsManifest"/> as JSON (snake_case, the handle in base64). Writing goes through
/// a temporary name, so an instance never reads half a manifest; reading checks the structure (version, handle size,
/// entries aligned, inside the arena and not overlapping) before anything is opened on the card.
/// </summary>
public static class SharedWeightsManifestFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
        WriteIndented = true,
    };

    public static void Write(string path, SharedWeightsManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string temporary = path + ".partial";
        File.WriteAllText(temporary, JsonSerializer.Serialize(manifest, Options));
        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="SharedWeightsException">The file is missing, not a manifest, or inconsistent; the message says how.</exception>
    public static SharedWeightsManifest Read(string path)
    {
        SharedWeightsManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<SharedWeightsManifest>(File.ReadAllText(path), Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharedWeightsException($"shared weights manifest {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new SharedWeightsException($"shared weights manifest {path} is not a manifest: {e.Message}");
        }

        string? problem = manifest is null ? "it is empty (null)" : Problem(manifest);
        return problem is null ? manifest! : throw new SharedWeightsException($"shared weights manifest {path}: {problem}");
    }

    private static string? Problem(SharedWeightsManifest manifest)
    {
        if (manifest.Version != SharedWeightsManifest.CurrentVersion)
        {
            return Invariant($"version {manifest.Version}, this sharpserve reads version {SharedWeightsManifest.CurrentVersion}: run the fleet and its instances from one build");
        }

        if (manifest.Handle.Length != SharedWeightsManifest.HandleSize)
        {
            return Invariant($"the IPC handle is {manifest.Handle.Length} bytes, a CUDA IPC handle is {SharedWeightsManifest.HandleSize}");
        }

        if (manifest.TotalBytes <= 0 || manifest.Entries.Count == 0)
        {
            return Invariant($"an arena of {manifest.TotalBytes} bytes with {manifest.Entries.Count} weights holds nothing");
        }

        long end = 0;
        foreach (var entry in manifest.Entries)
        {
            if (entry.Offset % WeightArenaLayout.Alignment != 0 || entry.Bytes < 0 || entry.Offset < end || entry.Offset + entry.Bytes > manifest.TotalBytes)
            {
                return Invariant(
                    $"weight {entry.Name} ({entry.Bytes} bytes at {entry.Offset}) is not a {WeightArenaLayout.Alignment}-byte aligned range after the previous weight (which ends at {end}) and inside the arena's {manifest.TotalBytes} bytes");
            }

            end = entry.Offset + entry.Bytes;
        }

        return null;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
