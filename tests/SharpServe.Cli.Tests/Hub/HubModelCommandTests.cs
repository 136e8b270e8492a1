using SharpServe.Cli.Tests.Hub;

namespace SharpServe.Cli.Tests;

/// <summary>A repo id as <c>--model</c>: the CLI downloads through HF_ENDPOINT into HF_HOME and runs on the snapshot.</summary>
public sealed class HubModelCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-hub-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Tokenize_WithARepoId_DownloadsTheModelAndRunsOnIt()
    {
        string repoFolder = Path.Combine(_folder, "repo");
        CliRunner.CreateTinyModel(repoFolder, "hf");
        using var hub = new FakeHub("someone/tiny", repoFolder);

        var result = CliRunner.RunWithEnvironment(HubEnvironment(hub.Endpoint), "tokenize", "--model", "someone/tiny", "--text", "hello");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("[", result.Stdout, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_folder, "hf-home", "hub", "models--someone--tiny", "snapshots", FakeHub.Commit)));
    }

    [Fact]
    public void Serve_WithARepoIdOffline_ExitsOneWithOneErrorLine()
    {
        var result = CliRunner.RunWithEnvironment(HubEnvironment($"http://127.0.0.1:{ServeProcess.FreePort()}"), "serve", "--model", "someone/absent", "--port", "1");

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: cannot download someone/absent", line, StringComparison.Ordinal);
    }

    private Dictionary<string, string> HubEnvironment(string endpoint) => new()
    {
        ["HF_ENDPOINT"] = endpoint,
        ["HF_HOME"] = Path.Combine(_folder, "hf-home"),
        ["HF_TOKEN"] = "",
    };
}
