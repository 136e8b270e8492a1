using System.Diagnostics;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Server.Tests.TestSupport;

/// <summary>
/// The Node client of NodeClient/ (the <c>openai</c> npm package, pinned by its lock file), installed with
/// <c>npm ci</c> into <c>.build/node-client</c> once per lock file and run with node. No node or npm is a
/// failure, never a skip: this is the suite's only client written outside .NET.
/// </summary>
public static class NodeClient
{
    private static readonly string[] Files = ["package.json", "package-lock.json", ".npmrc", "client.mjs"];
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    private static string SourceDirectory => Path.Combine(RepoPaths.Root, "tests", "SharpServe.Server.Tests", "NodeClient");
    private static string InstallDirectory => Path.Combine(RepoPaths.Root, ".build", "node-client");

    /// <summary>Runs client.mjs against the server and returns what it printed (one JSON object).</summary>
    public static async Task<string> RunAsync(Uri baseUrl, string apiKey, string model)
    {
        await EnsureInstalledAsync();
        return await RunProcessAsync("node", InstallDirectory, "client.mjs", baseUrl.ToString(), apiKey, model);
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            Directory.CreateDirectory(InstallDirectory);
            string lockFile = Path.Combine(InstallDirectory, "package-lock.json");
            bool lockChanged = !File.Exists(lockFile) || File.ReadAllText(lockFile) != File.ReadAllText(Path.Combine(SourceDirectory, "package-lock.json"));
            foreach (string file in Files)
            {
                File.Copy(Path.Combine(SourceDirectory, file), Path.Combine(InstallDirectory, file), overwrite: true);
            }

            if (lockChanged || !File.Exists(Path.Combine(InstallDirectory, "node_modules", "openai", "package.json")))
            {
                await RunProcessAsync("npm", InstallDirectory, "ci", "--no-audit", "--no-fund");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<string> RunProcessAsync(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }
}
