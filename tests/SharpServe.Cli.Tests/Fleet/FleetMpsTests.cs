using System.Globalization;
using SharpServe.Fleet.Supervision;
using SharpServe.Fleet.Tests.Supervision;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// <c>sharpserve fleet --mps</c> with a stand-in nvidia-cuda-mps-control first on PATH that records its calls: the daemon
/// starts before the instance, the instance runs with its two folders, and shutdown quits it.
/// </summary>
public sealed class FleetMpsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-fleet-mps-").FullName;

    private string LogDir => Path.Combine(_folder, "logs");

    private string Record => Path.Combine(_folder, "record.txt");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Mps_StartsTheDaemonFirst_GivesEveryInstanceItsFolders_AndQuitsItOnShutdown()
    {
        string bin = FakeControl();
        int port = ServeProcess.FreePort();
        string pipes = Path.Combine(LogDir, "mps-pipe");
        string logs = Path.Combine(LogDir, "mps-log");
        using var fleet = new FleetProcess(
            new Dictionary<string, string> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" },
            "--mps", "--model", TinyModelFile.In(_folder), "--instances", "1", "--host", "127.0.0.1", "--port", Text(ServeProcess.FreePort()),
            "--instance-port", Text(port), "--log-dir", LogDir, "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64");
        await fleet.WaitForReadyAsync(1);

        Assert.Equal(["call: -d", $"pipe: {pipes}", $"log: {logs}"], File.ReadAllLines(Record));
        string output = fleet.Output;
        Assert.Contains($"fleet: MPS on: nvidia-cuda-mps-control -d started, pipes in {pipes}, its logs in {logs}", output, StringComparison.Ordinal);
        Assert.True(output.IndexOf("MPS on:", StringComparison.Ordinal) < output.IndexOf($"instance-{port}: started pid", StringComparison.Ordinal), output);
        var environment = File.ReadAllText($"/proc/{fleet.PidsOf(port)[0]}/environ").Split('\0');
        Assert.Contains($"{MpsDaemon.PipeVariable}={pipes}", environment);
        Assert.Contains($"{MpsDaemon.LogVariable}={logs}", environment);

        ParentDeath.Signal(fleet.Pid, FleetProcess.SigTerm);

        Assert.Equal(0, await fleet.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(["call: -d", $"pipe: {pipes}", $"log: {logs}", "call: ", $"pipe: {pipes}", $"log: {logs}", "stdin: quit"], File.ReadAllLines(Record));
        output = fleet.Output;
        Assert.True(output.IndexOf($"instance-{port}: stopped", StringComparison.Ordinal) < output.IndexOf("fleet: MPS control daemon stopped", StringComparison.Ordinal), output);
    }

    [Fact]
    public void Mps_WithoutTheBinary_FailsBeforeStartingAnything()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_folder, "empty-bin")).FullName;

        var result = CliRunner.RunWithEnvironment(
            new Dictionary<string, string> { ["PATH"] = empty },
            "fleet", "--mps", "--model", TinyModelFile.In(_folder), "--instances", "1", "--port", Text(ServeProcess.FreePort()), "--log-dir", LogDir,
            "--memory-ceiling", "0.04", "--max-model-len", "256", "--max-num-batched-tokens", "64");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: --mps: nvidia-cuda-mps-control is not on PATH; MPS comes with the NVIDIA driver/CUDA toolkit", result.Stderr.Trim());
        Assert.DoesNotContain("gateway listening", result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(LogDir), "nothing may be started or created");
    }

    /// <summary>A folder holding the stand-in, to put first on PATH.</summary>
    private string FakeControl() => FakeMpsControl.Write(Path.Combine(_folder, "bin"), Record);

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
