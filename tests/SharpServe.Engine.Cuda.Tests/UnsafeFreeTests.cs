using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace SharpServe.Engine.Cuda.Tests;

/// <summary>
/// The CUDA project allows unsafe code only for what the LibraryImport generator writes: its own files have none (device
/// memory is reached through ILGPU views and IntPtr).
/// </summary>
public sealed partial class UnsafeFreeTests
{
    [Fact]
    public void NoSourceFileOfTheCudaProject_UsesUnsafe()
    {
        string project = Path.Combine(RepositoryRoot(), "src", "SharpServe.Engine.Cuda");
        var files = Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        Assert.Contains(files, f => f.EndsWith("CublasApi.cs", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => UnsafeKeyword().IsMatch(File.ReadAllText(f)));
    }

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SharpServe.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no SharpServe.sln above {sourceFile}");
    }

    [GeneratedRegex(@"(?m)^(?!\s*//).*\bunsafe\b")]
    private static partial Regex UnsafeKeyword();
}
