using System.Diagnostics;

namespace SharpServe.Fleet.Tests.Nginx;

/// <summary>
/// The real nginx (Debian's nginx-light; CI's .ci/run installs it). Missing nginx fails the test with
/// what to install rather than skipping it, so a CI machine without it cannot pass silently.
/// </summary>
public static class NginxBinary
{
    public static string Find()
    {
        IEnumerable<string> folders = ["/usr/sbin", .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)];
        string? found = folders.Select(folder => Path.Combine(folder, "nginx")).FirstOrDefault(File.Exists);
        if (found is null)
        {
            Assert.Fail("nginx is not installed (looked in /usr/sbin and PATH): run `apt-get install nginx-light`, as .ci/run does");
        }

        return found;
    }

    /// <summary>nginx with these arguments to its end (at most 30 s), stdout and stderr together.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Find()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"nginx {string.Join(' ', args)} did not finish in 30 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
