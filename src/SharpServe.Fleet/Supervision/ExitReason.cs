using System.Globalization;

namespace SharpServe.Fleet.Supervision;

/// <summary>Why a child ended, for the logs and /fleet/status.</summary>
public static class ExitReason
{
    private static readonly Dictionary<int, string> SignalNames = new()
    {
        [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [6] = "SIGABRT", [7] = "SIGBUS",
        [8] = "SIGFPE", [9] = "SIGKILL", [11] = "SIGSEGV", [13] = "SIGPIPE", [15] = "SIGTERM",
    };

    /// <summary>
    /// .NET reports a child killed by signal N as exit code 128 + N (as shells do), so 137 reads as SIGKILL;
    /// a process that itself exits with 137 is indistinguishable, and reads the same.
    /// </summary>
    public static string Describe(int exitCode) =>
        exitCode > 128 && SignalNames.TryGetValue(exitCode - 128, out string? name)
            ? $"exited with {name}"
            : string.Create(CultureInfo.InvariantCulture, $"exited with code {exitCode}");
}
