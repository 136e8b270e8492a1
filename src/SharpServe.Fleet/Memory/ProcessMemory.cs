namespace SharpServe.Fleet.Memory;

/// <summary>
/// Reads a process's memory from procfs: the totals from /proc/PID/smaps_rollup and the PSS of one
/// mapped file (e.g. the model's weights) from /proc/PID/smaps. Linux only. A process that has
/// gone (or is a zombie, whose smaps are empty) reads as null.
/// </summary>
public sealed class ProcessMemory
{
    /// <summary>
    /// ESRCH, which .NET puts in an IOException's HResult: the process died after its /proc folder was looked up
    /// (a status page read while an instance is being killed).
    /// </summary>
    private const int NoSuchProcess = 3;

    private readonly string _procRoot;

    /// <param name="procRoot">Where procfs is mounted; a test points it at a folder of fixed files.</param>
    public ProcessMemory(string procRoot = "/proc")
    {
        ArgumentException.ThrowIfNullOrEmpty(procRoot);
        _procRoot = procRoot;
    }

    /// <summary>The process's Rss and Pss breakdown, or null when there is no such process.</summary>
    public ProcessMemoryUsage? ReadUsage(int pid) =>
        ReadProcFile(pid, "smaps_rollup") is { } text ? SmapsText.ParseRollup(text) : null;

    /// <summary>
    /// The Pss of the process's mappings of <paramref name="file"/> in bytes (0 if it does not map
    /// it), or null when there is no such process. The kernel names a mapping by the file's real
    /// path, so the path is made absolute and a symlink (a hub cache snapshot) is followed first.
    /// </summary>
    public long? ReadFilePss(int pid, string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        string mappedPath = RealPath(file);
        return ReadProcFile(pid, "smaps") is { } text ? SmapsText.SumPss(text, mappedPath) : null;
    }

    private static string RealPath(string file)
    {
        // A file that no longer exists cannot be resolved; its name is still what the caller asked about.
        var info = new FileInfo(Path.GetFullPath(file));
        return info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName : info.FullName;
    }

    private string? ReadProcFile(int pid, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        try
        {
            string text = File.ReadAllText(Path.Combine(_procRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), name));
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is IOException { HResult: NoSuchProcess })
        {
            return null;
        }
    }
}
