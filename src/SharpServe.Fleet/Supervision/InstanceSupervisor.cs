using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Supervision;

/// <summary>
/// Keeps one instance running: starts it, waits for /health 200, watches for its exit and restarts it
/// after a <see cref="RestartBackoff"/> delay, logging why it ended. Cancelling the run stops it
/// gracefully: SIGTERM, up to the drain timeout for it to exit, then SIGKILL.
/// </summary>
internal sealed class InstanceSupervisor(
    ResolvedInstance instance, IInstanceLauncher launcher, ForkThread fork, HttpClient http, SupervisorOptions options, TimeProvider time, string logPath, Action<string> log)
{
    private readonly Lock _gate = new();
    private int? _pid;
    private string _state = "starting";
    private int _restarts;
    private string? _lastExit;

    public string UpstreamId { get; } = UpstreamIdOf(instance.Port);

    public static string UpstreamIdOf(int port) => string.Create(CultureInfo.InvariantCulture, $"instance-{port}");

    public InstanceProcessStatus Status()
    {
        lock (_gate)
        {
            return new InstanceProcessStatus(UpstreamId, _pid, instance.Port, _state, _restarts, _lastExit, PssBytes: null);
        }
    }

    /// <summary>Runs until <paramref name="stop"/> is cancelled and the child has been stopped.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var file = new InstanceLog(logPath);
        var backoff = new RestartBackoff(time);
        while (true)
        {
            string reason = await RunOnceAsync(file, backoff, stop);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            TimeSpan delay = backoff.NextDelay();
            int restart;
            lock (_gate)
            {
                restart = ++_restarts;
                (_pid, _state, _lastExit) = (null, "restarting", reason);
            }

            // The delay starts before the line is logged, so whoever reads the line sees the wait already running.
            Task wait = Task.Delay(delay, time, stop);
            Say(file, string.Create(CultureInfo.InvariantCulture, $"restart {restart} in {delay.TotalSeconds:0.###} s: {reason}"));
            try
            {
                await wait;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        lock (_gate)
        {
            (_pid, _state) = (null, "stopped");
        }

        Say(file, "stopped");
    }

    /// <summary>One process from start to exit; returns why it ended.</summary>
    private async Task<string> RunOnceAsync(InstanceLog file, RestartBackoff backoff, CancellationToken stop)
    {
        ProcessStartInfo start = launcher.StartInfo(instance);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment[ParentDeath.SupervisorPidVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => file.Child(e.Data);
        process.ErrorDataReceived += (_, e) => file.Child(e.Data);
        lock (_gate)
        {
            _state = "starting";
        }

        try
        {
            await fork.StartAsync(process);
        }
        catch (Win32Exception e)
        {
            return $"could not start {start.FileName}: {e.Message}";
        }

        backoff.Started();
        lock (_gate)
        {
            _pid = process.Id;
        }

        Say(file, string.Create(CultureInfo.InvariantCulture, $"started pid {process.Id} on port {instance.Port}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Also waits for the redirected output to reach its end, so the log has the child's last lines.
        Task exited = process.WaitForExitAsync(CancellationToken.None);
        try
        {
            if (await WaitForHealthAsync(exited, stop))
            {
                lock (_gate)
                {
                    _state = "ready";
                }

                Say(file, string.Create(CultureInfo.InvariantCulture, $"ready: pid {process.Id} answers /health 200"));
            }
            else if (!exited.IsCompleted)
            {
                process.Kill(entireProcessTree: true);
                await exited;
                return string.Create(CultureInfo.InvariantCulture, $"no /health 200 within {options.LoadTimeout.TotalSeconds:0.###} s, killed");
            }

            await exited.WaitAsync(stop);
            return ExitReason.Describe(process.ExitCode);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await TerminateAsync(process, exited, file);
            return "stopped";
        }
    }

    /// <summary>True once /health answers 200; false when the process exits first or the load timeout passes.</summary>
    private async Task<bool> WaitForHealthAsync(Task exited, CancellationToken stop)
    {
        DateTimeOffset deadline = time.GetUtcNow() + options.LoadTimeout;
        while (!exited.IsCompleted && time.GetUtcNow() < deadline)
        {
            if (await IsHealthyAsync(stop))
            {
                return true;
            }

            // A crash while loading ends the wait at once instead of after the next poll.
            await Task.WhenAny(exited, Task.Delay(options.HealthPollInterval, time, stop));
            stop.ThrowIfCancellationRequested();
        }

        return false;
    }

    private async Task<bool> IsHealthyAsync(CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(options.HealthRequestTimeout, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var response = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{instance.Port}/health")), both.Token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !stop.IsCancellationRequested))
        {
            // Not listening yet, or too slow to answer: not ready.
            return false;
        }
    }

    /// <summary>SIGTERM lets serve drain its in-flight requests; SIGKILL after the drain timeout bounds how long a stop takes.</summary>
    private async Task TerminateAsync(Process process, Task exited, InstanceLog file)
    {
        lock (_gate)
        {
            _state = "stopping";
        }

        Task drained = Task.Delay(options.DrainTimeout, time, CancellationToken.None);
        if (!exited.IsCompleted && ParentDeath.Signal(process.Id, ParentDeath.SigTerm))
        {
            Say(file, string.Create(CultureInfo.InvariantCulture, $"SIGTERM sent to pid {process.Id}; SIGKILL after {options.DrainTimeout.TotalSeconds:0.###} s"));
        }

        if (await Task.WhenAny(exited, drained) != exited)
        {
            Say(file, string.Create(CultureInfo.InvariantCulture, $"pid {process.Id} still running after the drain timeout: SIGKILL"));
            process.Kill(entireProcessTree: true);
            await exited;
        }

        lock (_gate)
        {
            _lastExit = ExitReason.Describe(process.ExitCode);
        }

        Say(file, string.Create(CultureInfo.InvariantCulture, $"pid {process.Id} {ExitReason.Describe(process.ExitCode)}"));
    }

    private void Say(InstanceLog file, string message)
    {
        file.Supervisor(message);
        log($"{UpstreamId}: {message}");
    }
}
