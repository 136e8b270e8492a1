using System.Reflection;

namespace SharpServe.Bench.Tests;

/// <summary>The bench tool's command line: help and mistyped options end with a message and an exit code, not a crash.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("engine", "--help")]
    [InlineData("kernels", "-h")]
    [InlineData("--help")]
    public void Help_ExitsZero(params string[] args) => Assert.Equal(0, Run(args));

    [Theory]
    [InlineData("engine", "--no-such-option")]
    [InlineData("engine", "--formats", "q3_k")]
    [InlineData("engine", "--repeats", "three")]
    [InlineData("engine", "--repeats")]
    [InlineData("kernels", "--dtypes", "Q9_9")]
    [InlineData("kernels", "--threads", "two")]
    [InlineData("no-such-command")]
    public void BadArguments_ExitTwo_BeforeAnyBenchmarkRuns(params string[] args) => Assert.Equal(2, Run(args));

    /// <summary>The tool's Main, as `dotnet SharpServe.Bench.dll ARGS` runs it.</summary>
    private static int Run(string[] args)
    {
        MethodInfo main = typeof(EngineBench).Assembly.EntryPoint!;
        return (int)main.Invoke(null, [args])!;
    }
}
