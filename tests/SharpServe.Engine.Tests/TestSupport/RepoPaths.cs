using System.Runtime.CompilerServices;

namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>Locations tests read from: the repository root and the shared folder CI lays beside it.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootDirectory = new(() => FindRoot());

    public static string Root => RootDirectory.Value;

    /// <summary>The tokenizer data in ../shared (tests never download it).</summary>
    public static string SharedTokenizerDirectory => Path.GetFullPath(Path.Combine(Root, "..", "shared", "models", "qwen2-tokenizer"));

    public static string SharedTokenizerJson => Path.Combine(SharedTokenizerDirectory, "qwen3-tokenizer.json");
    public static string VocabJson => Path.Combine(SharedTokenizerDirectory, "vocab.json");
    public static string MergesTxt => Path.Combine(SharedTokenizerDirectory, "merges.txt");
    public static string DistillNotes => Path.Combine(SharedTokenizerDirectory, "DEEPSEEK_R1_DISTILL_NOTES.md");

    // The build output is normally inside the repository; with --artifacts-path elsewhere it is not,
    // so this source file's compile-time location is the fallback starting point.
    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile)! })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SharpServe.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"no SharpServe.sln above {AppContext.BaseDirectory} or {sourceFile}");
    }
}
