using System.Runtime.InteropServices;

namespace SharpServe.Engine.Cuda.Native;

/// <summary>The cuBLAS library this process found, or why none (<see cref="Handle"/> zero).</summary>
internal sealed record CublasLoad(IntPtr Handle, string Description);

/// <summary>
/// Finds cuBLAS: CUDA 13's soname first, then CUDA 12's, through the loader's search path (a CUDA toolkit); then the copies
/// NVIDIA's pip wheels put into a Python installation (what PyTorch uses). Once per process, as the import resolver asks.
/// </summary>
internal static class CublasLibrary
{
    private static readonly Lazy<CublasLoad> Loaded = new(() => LoadFirst(Candidates(CublasSearch.Current(), ListDirectory)));

    /// <summary>
    /// The files to try, in order: the sonames (13, then 12), then every wheel copy found under
    /// <paramref name="search"/>'s Python prefixes, CUDA 13's before CUDA 12's. <paramref name="list"/> gives a directory's
    /// entries as full paths (none when it does not exist): the only way this looks at the disk.
    /// </summary>
    public static IReadOnlyList<string> Candidates(CublasSearch search, Func<string, IEnumerable<string>> list)
    {
        var sitePackages = search.PythonPrefixes(list).SelectMany(prefix => SitePackages(prefix, list)).ToList();
        var candidates = CublasSearch.Majors.Select(Soname).ToList();
        foreach (int major in CublasSearch.Majors)
        {
            string soname = Soname(major);
            foreach (string site in sitePackages)
            {
                foreach (string wheelDirectory in CublasSearch.WheelDirectories)
                {
                    string directory = Path.Combine(site, wheelDirectory);
                    string file = Path.Combine(directory, soname);
                    if (list(directory).Contains(file, StringComparer.Ordinal))
                    {
                        candidates.Add(file);
                    }
                }
            }
        }

        return candidates;
    }

    public static CublasLoad Load() => Loaded.Value;

    private static string Soname(int major) => $"libcublas.so.{major}";

    /// <summary><c>&lt;prefix&gt;/lib/python3*/{site,dist}-packages</c> (Debian's system Python says dist-packages, and python3 without a minor).</summary>
    private static IEnumerable<string> SitePackages(string prefix, Func<string, IEnumerable<string>> list)
    {
        var pythons = list(Path.Combine(prefix, "lib"))
            .Where(p => Path.GetFileName(p).StartsWith("python3", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (string python in pythons)
        {
            var entries = list(python).ToHashSet(StringComparer.Ordinal);
            foreach (string name in new[] { "site-packages", "dist-packages" })
            {
                string site = Path.Combine(python, name);
                if (entries.Contains(site))
                {
                    yield return site;
                }
            }
        }
    }

    /// <summary>The disk as <see cref="Candidates"/> lists it: a directory's entries as full paths, none when it is missing or unreadable.</summary>
    public static IEnumerable<string> ListDirectory(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetFileSystemEntries(directory) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static CublasLoad LoadFirst(IReadOnlyList<string> candidates)
    {
        foreach (string candidate in candidates)
        {
            PreloadLt(candidate);
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return new CublasLoad(handle, candidate);
            }
        }

        return new CublasLoad(IntPtr.Zero, $"no cuBLAS: none of {string.Join(", ", candidates)} could be loaded");
    }

    /// <summary>
    /// A wheel's libcublas needs libcublasLt from its own folder, which the loader does not search; loaded first, the
    /// loader finds it by soname among the loaded libraries. Sonames on the search path find their own.
    /// </summary>
    private static void PreloadLt(string candidate)
    {
        string? directory = Path.GetDirectoryName(candidate);
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        string lt = Path.Combine(directory, Path.GetFileName(candidate).Replace("libcublas.", "libcublasLt.", StringComparison.Ordinal));
        if (File.Exists(lt))
        {
            _ = NativeLibrary.TryLoad(lt, out _);
        }
    }
}
