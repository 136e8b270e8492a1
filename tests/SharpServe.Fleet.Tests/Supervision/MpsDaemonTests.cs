using System.Diagnostics;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Fleet.Tests.Supervision;

/// <summary>The MPS control daemon's start and quit, with a shell script in its place that records how it was called.</summary>
public sealed class MpsDaemonTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpserve-mps-").FullName;

    private string Bin => Path.Combine(_root, "bin");

    private string LogDir => Path.Combine(_root, "logs");

    private string Record => Path.Combine(_root, "record.txt");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Start_RunsTheDaemonWithFoldersUnderTheLogDir_AndStopSendsQuitWithTheSameFolders()
    {
        FakeControl("");

        var daemon = MpsDaemon.Start(LogDir, $"{Path.Combine(_root, "empty")}:{Bin}:/usr/bin:/bin");
        string pipes = Path.Combine(LogDir, "mps-pipe");
        string logs = Path.Combine(LogDir, "mps-log");

        Assert.Equal(["call: -d", $"pipe: {pipes}", $"log: {logs}"], File.ReadAllLines(Record));
        Assert.True(Directory.Exists(pipes) && Directory.Exists(logs), "the pipe and log folders are created");
        Assert.Equal(new Dictionary<string, string> { ["CUDA_MPS_PIPE_DIRECTORY"] = pipes, ["CUDA_MPS_LOG_DIRECTORY"] = logs }, daemon.Environment);

        Assert.Equal($"MPS control daemon stopped (pipes in {pipes})", daemon.Stop());
        Assert.Equal(["call: -d", $"pipe: {pipes}", $"log: {logs}", "call: ", $"pipe: {pipes}", $"log: {logs}", "stdin: quit"], File.ReadAllLines(Record));
        Assert.Equal("MPS control daemon already stopped", daemon.Stop());
        Assert.Equal(7, File.ReadAllLines(Record).Length);
    }

    [Fact]
    public void Start_WithoutTheBinaryOnPath_FailsBeforeCreatingAnything()
    {
        Directory.CreateDirectory(Bin);
        File.WriteAllText(Path.Combine(Bin, MpsDaemon.ControlBinary), "#!/bin/sh\n"); // not executable: not a command

        var error = Assert.Throws<InvalidOperationException>(() => MpsDaemon.Start(LogDir, Bin));

        Assert.Equal("--mps: nvidia-cuda-mps-control is not on PATH; MPS comes with the NVIDIA driver/CUDA toolkit", error.Message);
        Assert.False(Directory.Exists(LogDir));
    }

    [Fact]
    public void Start_ThatExitsNonZero_FailsWithTheDaemonsStderr()
    {
        FakeControl("echo 'An instance of this daemon is already running' >&2; exit 1");

        var error = Assert.Throws<InvalidOperationException>(() => MpsDaemon.Start(LogDir, Bin));

        Assert.Equal($"--mps: {Path.Combine(Bin, MpsDaemon.ControlBinary)} -d exited with code 1: An instance of this daemon is already running", error.Message);
    }

    [Fact]
    public void Stop_ThatFails_SaysTheDaemonMayStillRun()
    {
        FakeControl("""if [ "$1" != "-d" ]; then echo 'no daemon' >&2; exit 2; fi""");
        var daemon = MpsDaemon.Start(LogDir, Bin);

        Assert.Equal($"MPS control daemon may still be running: 'echo quit | {Path.Combine(Bin, MpsDaemon.ControlBinary)}' exited with code 2: no daemon", daemon.Stop());
    }

    /// <summary>A real daemon forks and may keep the inherited stderr open: the start must not wait for it to close.</summary>
    [Fact]
    public void Start_DoesNotWaitForTheForkedDaemon()
    {
        string pidFile = Path.Combine(_root, "daemon.pid");
        FakeControl($"""if [ "$1" = "-d" ]; then sleep 60 & echo $! > '{pidFile}'; fi""");
        var clock = Stopwatch.StartNew();
        try
        {
            MpsDaemon.Start(LogDir, Bin);

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Start took {clock.Elapsed}");
        }
        finally
        {
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)).Kill();
        }
    }

    /// <summary>The stand-in in <see cref="Bin"/>, running <paramref name="then"/> after it records the call.</summary>
    private void FakeControl(string then) => FakeMpsControl.Write(Bin, Record, then);
}
