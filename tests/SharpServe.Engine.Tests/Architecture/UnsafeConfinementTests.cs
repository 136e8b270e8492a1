using System.Text.RegularExpressions;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Architecture;

/// <summary>Raw pointers live only in the kernels: every other engine file must be free of <c>unsafe</c>.</summary>
public sealed partial class UnsafeConfinementTests
{
    [Fact]
    public void UnsafeCode_AppearsOnlyUnderKernels()
    {
        string engine = Path.Combine(RepoPaths.Root, "src", "SharpServe.Engine");
        string kernels = Path.Combine(engine, "Kernels") + Path.DirectorySeparatorChar;
        var offenders = Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.StartsWith(kernels, StringComparison.Ordinal))
            .Where(f => UnsafeKeyword().IsMatch(File.ReadAllText(f)))
            .ToList();
        Assert.True(Directory.Exists(kernels), "Kernels folder missing");
        Assert.Empty(offenders);
    }

    [GeneratedRegex(@"(?m)^(?!\s*//).*\bunsafe\b")]
    private static partial Regex UnsafeKeyword();
}
