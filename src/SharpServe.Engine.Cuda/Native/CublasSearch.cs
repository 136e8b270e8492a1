namespace SharpServe.Engine.Cuda.Native;

/// <summary>
/// Where Python installations that may hold NVIDIA's cuBLAS wheel live, from the environment: the active virtual env
/// and conda env, the prefixes of every python3 on PATH, the user's ~/.local, then the system prefixes. Plain values, so
/// <see cref="CublasLibrary.Candidates"/> is a function of them and a directory listing.
/// </summary>
internal sealed record CublasSearch(string? VirtualEnv, string? CondaPrefix, string? PathVariable, string? Home, IReadOnlyList<string> SystemPrefixes)
{
    /// <summary>cuBLAS majors, newest first: CUDA 13's library, then CUDA 12's (which a CUDA 13 driver also runs).</summary>
    public static IReadOnlyList<int> Majors { get; } = [13, 12];

    /// <summary>
    /// Inside site-packages: nvidia-cublas (CUDA 13) puts every CUDA 13 library in nvidia/cu13/lib; nvidia-cublas-cu12
    /// its own in nvidia/cublas/lib.
    /// </summary>
    public static IReadOnlyList<string> WheelDirectories { get; } = ["nvidia/cu13/lib", "nvidia/cublas/lib"];

    public static CublasSearch Current() => new(
        Environment.GetEnvironmentVariable("VIRTUAL_ENV"),
        Environment.GetEnvironmentVariable("CONDA_PREFIX"),
        Environment.GetEnvironmentVariable("PATH"),
        Environment.GetEnvironmentVariable("HOME"),
        ["/usr/local", "/usr"]);

    /// <summary>The prefixes in the order their copies are tried, each once.</summary>
    public IEnumerable<string> PythonPrefixes(Func<string, IEnumerable<string>> list)
    {
        var prefixes = new List<string?> { VirtualEnv, CondaPrefix };
        foreach (string directory in (PathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            // python3 in <prefix>/bin: a venv's, conda's or pyenv's interpreter; its packages are under <prefix>/lib.
            if (list(directory).Contains(Path.Combine(directory, "python3"), StringComparer.Ordinal))
            {
                prefixes.Add(Path.GetDirectoryName(directory.TrimEnd('/')));
            }
        }

        prefixes.Add(string.IsNullOrEmpty(Home) ? null : Path.Combine(Home, ".local"));
        prefixes.AddRange(SystemPrefixes);
        return prefixes.Where(p => !string.IsNullOrEmpty(p)).Select(p => p!.TrimEnd('/')).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal);
    }
}
