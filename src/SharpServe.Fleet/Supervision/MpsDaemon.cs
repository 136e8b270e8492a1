using System.Diagnostics;
using System.Text;

namespace SharpServe.Fleet.Supervision;

/// <summary>
/// NVIDIA's MPS control daemon for one fleet (<c>fleet --mps</c>): with it, kernels from different instances run on the
/// card at the same time instead of time-slicing. Its pipes and logs live in folders of the fleet's log dir, so the
/// daemon is this fleet's own; instances reach it through the two variables of <see cref="Environment"/>.
/// <see cref="Stop"/> asks it to quit (it waits for its clients, so stop the instances first).
/// </summary>
public sealed class MpsDaemon
{
    public const string ControlBinary = "nvidia-cuda-mps-control";
    public const string PipeVariable = "CUDA_MPS_PIPE_DIRECTORY";
    public const string LogVariable = "CUDA_MPS_LOG_DIRECTORY";

    // The daemon forks and the control command returns at once; quit returns when the daemon has shut down.
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly string _control;
    private bool _stopped;

    private MpsDaemon(string control, string pipeDirectory, string logDirectory)
    {
        _control = control;
        PipeDirectory = pipeDirectory;
        LogDirectory = logDirectory;
        Environment = new Dictionary<string, string> { [PipeVariable] = pipeDirectory, [LogVariable] = logDirectory };
    }

    public string PipeDirectory { get; }

    public string LogDirectory { get; }

    /// <summary>What every instance's environment gets, and what the control commands run with.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>
    /// Starts <c>nvidia-cuda-mps-control -d</c> found on <paramref name="pathVariable"/> with its pipes in
    /// LOGDIR/mps-pipe and its logs in LOGDIR/mps-log (both created). Throws <see cref="InvalidOperationException"/>
    /// saying why when the binary is not there or the daemon does not start.
    /// </summary>
    public static MpsDaemon Start(string logDir, string? pathVariable)
    {
        string control = Locate(pathVariable)
            ?? throw new InvalidOperationException($"--mps: {ControlBinary} is not on PATH; MPS comes with the NVIDIA driver/CUDA toolkit");
        string pipes = Path.GetFullPath(Path.Combine(logDir, "mps-pipe"));
        string logs = Path.GetFullPath(Path.Combine(logDir, "mps-log"));
        Directory.CreateDirectory(pipes);
        Directory.CreateDirectory(logs);
        var daemon = new MpsDaemon(control, pipes, logs);
        var (exitCode, stderr) = daemon.Control(["-d"], input: null);
        return exitCode == 0 ? daemon : throw new InvalidOperationException($"--mps: {control} -d {Outcome(exitCode, stderr)}");
    }

    /// <summary>The first executable <see cref="ControlBinary"/> in <paramref name="pathVariable"/>'s folders, or null.</summary>
    private static string? Locate(string? pathVariable)
    {
        foreach (string folder in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, ControlBinary);
            // MPS is Linux-only; an executable file there is a command the shell would run.
            if (OperatingSystem.IsLinux() && File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    /// <summary>
    /// <c>echo quit | nvidia-cuda-mps-control</c>, once: a line for the log saying the daemon stopped, or why it may still
    /// be running (at shutdown, reported rather than thrown, so it does not hide why the fleet stopped).
    /// </summary>
    public string Stop()
    {
        if (_stopped)
        {
            return "MPS control daemon already stopped";
        }

        _stopped = true;
        var (exitCode, stderr) = Control([], input: "quit\n");
        return exitCode == 0
            ? $"MPS control daemon stopped (pipes in {PipeDirectory})"
            : $"MPS control daemon may still be running: 'echo quit | {_control}' {Outcome(exitCode, stderr)}";
    }

    private static string Outcome(int? exitCode, string stderr) => exitCode is { } code
        ? $"exited with code {code}: {(stderr.Length > 0 ? stderr : "(no output)")}"
        : $"did not finish in {CommandTimeout.TotalSeconds:0} s";

    /// <summary>
    /// Runs the control binary with the daemon's variables; the exit code, or null when it did not finish in time (then
    /// killed). Its stderr is collected as lines arrive, and its end awaited only briefly: the forked daemon may inherit
    /// the pipe and hold it open long after the command itself has exited.
    /// </summary>
    private (int? ExitCode, string Stderr) Control(IReadOnlyList<string> arguments, string? input)
    {
        var start = new ProcessStartInfo(_control)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        var stderr = new StringBuilder();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ended.TrySetResult();
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        bool exited = process.WaitForExit(CommandTimeout);
        if (!exited)
        {
            process.Kill();
        }

        _ = ended.Task.Wait(TimeSpan.FromSeconds(1));
        lock (stderr)
        {
            return (exited ? process.ExitCode : null, stderr.ToString().Trim());
        }
    }
}
