using System.Diagnostics;

namespace SharpServe.Cli.Tests;

/// <summary>Runs the built <c>sharpserve</c> CLI as a child process with a time limit.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string SharedTokenizerJson => Engine.Tests.TestSupport.RepoPaths.SharedTokenizerJson;

    /// <summary>The user cache the CLI sees in tests, away from the user's own.</summary>
    public static string CacheDirectory { get; } = Path.Combine(Path.GetTempPath(), "sharpserve-cli-tests-cache");

    public static Result Run(params string[] args) => Run(new Dictionary<string, string>(), input: null, args);

    /// <summary>Runs the CLI with extra environment variables (e.g. the hub's HF_ENDPOINT and HF_HOME).</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run(environment, input: null, args);

    /// <summary>Runs the CLI with this text piped to its stdin, which is then closed (end of input).</summary>
    public static Result RunWithInput(string input, params string[] args) => Run(new Dictionary<string, string>(), input, args);

    /// <summary>Creates the tiny random model (the shared tokenizer, seed 1) at PATH in FORMAT (gguf or hf).</summary>
    public static void CreateTinyModel(string path, string format)
    {
        var result = Run("create-model", "--preset", "tiny", "--format", format, "--dtype", "f32", "--seed", "1", "--out", path, "--tokenizer", SharedTokenizerJson);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private static Result Run(IReadOnlyDictionary<string, string> environment, string? input, string[] args)
    {
        var start = StartInfo(args);
        start.RedirectStandardInput = input is not null;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sharpserve {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>How the tests start the CLI: the built sharpserve.dll, output captured, the test cache instead of the user's.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sharpserve.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Keep the tests away from the user's cache.
        start.Environment["SHARPSERVE_CACHE"] = CacheDirectory;
        return start;
    }
}
