using System.Globalization;
using SharpServe.Fleet.Memory;
using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Supervision;

/// <summary>
/// Runs a fleet's instances as child processes: all started at once (none waits for another, so nothing
/// can depend on start order), each kept alive by its <see cref="InstanceSupervisor"/>, its output in
/// <c>LOGDIR/instance_PORT.log</c>. <see cref="StopAsync"/> stops them all together.
/// </summary>
public sealed class FleetSupervisor : IInstanceProcesses, IAsyncDisposable
{
    private readonly ForkThread _fork = new();
    // Health probes go straight to 127.0.0.1, never through an HTTP_PROXY from the environment.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly IReadOnlyList<InstanceSupervisor> _instances;
    private readonly string _logDir;
    private readonly ProcessMemory _memory = new();
    private Task _running = Task.CompletedTask;

    public FleetSupervisor(
        IReadOnlyList<ResolvedInstance> instances, IInstanceLauncher launcher, string logDir, SupervisorOptions options, TimeProvider time, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(instances);
        _logDir = logDir;
        LogFiles = instances.Select(i => Path.Combine(logDir, string.Create(CultureInfo.InvariantCulture, $"instance_{i.Port}.log"))).ToList();
        _instances = instances.Select((i, n) => new InstanceSupervisor(i, launcher, _fork, _http, options, time, LogFiles[n], log)).ToList();
        Upstreams = instances.Select(i => new Upstream(
            InstanceSupervisor.UpstreamIdOf(i.Port), new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{i.Port}")), i.ServedModelNames)).ToList();
    }

    /// <summary>What the gateway routes to, one per instance in spec order.</summary>
    public IReadOnlyList<Upstream> Upstreams { get; }

    /// <summary>Each instance's log file, in spec order.</summary>
    public IReadOnlyList<string> LogFiles { get; }

    public void Start()
    {
        Directory.CreateDirectory(_logDir);
        _running = Task.WhenAll(_instances.Select(i => Task.Run(() => i.RunAsync(_stop.Token))));
    }

    /// <summary>Each instance's state, with the PSS of its running process (shared weight pages charged 1/n to each of n instances).</summary>
    public IReadOnlyList<InstanceProcessStatus> Snapshot() => _instances
        .Select(i => i.Status())
        .Select(s => s.Pid is int pid ? s with { PssBytes = _memory.ReadUsage(pid)?.PssBytes } : s)
        .ToList();

    /// <summary>SIGTERM to every child at once, then SIGKILL to those still running after the drain timeout; no restarts from here on.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    /// <summary>Stops first: the fork thread may only end once no child it started is left.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _fork.Dispose();
        _http.Dispose();
        _stop.Dispose();
    }
}
