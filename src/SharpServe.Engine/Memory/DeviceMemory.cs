using System.Globalization;

namespace SharpServe.Engine.Memory;

/// <summary>
/// Total memory of the CPU "device": physical RAM, lowered to this process's cgroup memory limit
/// when one is set, since a container's limit is what the OOM killer enforces. Files are read
/// through <c>readFile</c> (null = missing) so tests can fake /proc and /sys.
/// </summary>
/// <remarks>
/// A missing or unreadable MemTotal is an error (there is nothing to size from). A cgroup file
/// that is missing or holds garbage is ignored, with the reason in <see cref="DeviceMemoryInfo.Notes"/>:
/// the physical total is still a valid upper bound.
/// </remarks>
public sealed class DeviceMemory(Func<string, string?> readFile, string procRoot = "/proc", string cgroupRoot = "/sys/fs/cgroup")
{
    public static DeviceMemoryInfo DetectHost() => new DeviceMemory(ReadOrNull).Detect();

    public DeviceMemoryInfo Detect()
    {
        long physical = ReadMemTotal();
        var notes = new List<string>();
        long? limit = null;
        foreach (string file in CgroupLimitFiles())
        {
            string? text = readFile(file);
            if (text is null)
            {
                continue;
            }

            string value = text.Trim();
            if (value == "max")
            {
                continue;
            }

            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) && bytes > 0)
            {
                limit = Math.Min(limit ?? long.MaxValue, bytes);
            }
            else
            {
                notes.Add($"ignored {file}: '{value}' is neither a byte count nor 'max'");
            }
        }

        // cgroup v1 writes "no limit" as a huge number, so the min with RAM handles it too.
        long total = Math.Min(physical, limit ?? long.MaxValue);
        notes.Insert(0, total < physical
            ? $"total {total} bytes from the cgroup limit (physical RAM {physical} bytes)"
            : $"total {total} bytes of physical RAM (no lower cgroup limit)");
        return new DeviceMemoryInfo(total, physical, limit, notes);
    }

    private long ReadMemTotal()
    {
        string path = Path.Combine(procRoot, "meminfo");
        string text = readFile(path) ?? throw new MemoryBudgetException($"cannot size memory: {path} is missing");
        foreach (string line in text.Split('\n'))
        {
            // "MemTotal:       24684092 kB"
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["MemTotal:", var number, "kB"]
                && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long kib) && kib > 0)
            {
                return kib * 1024;
            }
        }

        throw new MemoryBudgetException($"cannot size memory: no 'MemTotal: <n> kB' line in {path}");
    }

    /// <summary>
    /// The limit files of this process's cgroup and of its ancestors (a parent's limit binds the
    /// child too), for v2 (memory.max) and v1 (memory.limit_in_bytes); hybrid hosts have both.
    /// </summary>
    private IEnumerable<string> CgroupLimitFiles()
    {
        string? membership = readFile(Path.Combine(procRoot, "self", "cgroup"));
        foreach (string line in (membership ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "hierarchy-id:controllers:path"; the path itself may contain ':'.
            string[] fields = line.Split(':', 3);
            if (fields.Length != 3 || !fields[2].StartsWith('/'))
            {
                continue;
            }

            (string Root, string File)? hierarchy = fields[0] == "0" && fields[1].Length == 0
                ? (cgroupRoot, "memory.max")
                : fields[1].Split(',').Contains("memory")
                    ? (Path.Combine(cgroupRoot, "memory"), "memory.limit_in_bytes")
                    : null;
            if (hierarchy is not { } h)
            {
                continue;
            }

            for (string dir = fields[2]; ; dir = ParentOf(dir))
            {
                yield return h.Root + (dir == "/" ? "" : dir) + "/" + h.File;
                if (dir == "/")
                {
                    break;
                }
            }
        }
    }

    private static string ParentOf(string dir)
    {
        int slash = dir.TrimEnd('/').LastIndexOf('/');
        return slash <= 0 ? "/" : dir[..slash];
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing or unreadable files mean "no information here", handled by the caller.
            return null;
        }
    }
}
