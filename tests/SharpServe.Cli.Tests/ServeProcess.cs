using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SharpServe.Cli.Tests;

/// <summary><c>sharpserve serve</c> as a child process, killed (with its children) on dispose.</summary>
public sealed class ServeProcess : IDisposable
{
    public const string StartupPhrase = "Application startup complete";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(IEnumerable<string> args)
    {
        _process = new Process { StartInfo = CliRunner.StartInfo(args) };
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The server's process id, e.g. to read its memory from /proc.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Everything the server printed so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs <c>sharpserve ARGS</c> (a serve command line) and waits until it prints that it is ready.</summary>
    public static async Task<ServeProcess> StartAsync(params string[] args)
    {
        var server = new ServeProcess(args);
        var ready = await Task.WhenAny(server._started.Task, server._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2)));
        if (ready != server._started.Task)
        {
            string output = server.Output;
            server.Dispose();
            throw new InvalidOperationException($"sharpserve serve did not report startup:\n{output}");
        }

        return server;
    }

    /// <summary>Waits until the server has printed <paramref name="text"/>, e.g. a line that follows the startup one.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }
    }

    /// <summary>Sends SIGTERM, as a container runtime or systemd does to stop a service.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The exit code, once the process has exited within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>A port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains(StartupPhrase, StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }
}
