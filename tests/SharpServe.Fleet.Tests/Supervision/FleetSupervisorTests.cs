using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Fleet.Tests.Supervision;

/// <summary>The supervisor's state machine with small shell commands as instances and fake time for backoff and drain.</summary>
public sealed class FleetSupervisorTests : IDisposable
{
    private static readonly SupervisorOptions Options = new(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(250));
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string _logDir = Directory.CreateTempSubdirectory("sharpserve-supervisor-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _log = [];

    public void Dispose() => Directory.Delete(_logDir, recursive: true);

    [Fact]
    public async Task ACrashingInstance_IsRestartedAfterItsBackoff_AndTheLogsSayWhy()
    {
        int port = FreePort();
        await using var fleet = Fleet(["echo hello from the child; exit 3"], port);
        try
        {
            fleet.Start();

            await Until(() => Logged($"instance-{port}: restart 1 in 1 s: exited with code 3"));
            InstanceProcessStatus status = Assert.Single(fleet.Snapshot());
            Assert.Equal(new InstanceProcessStatus($"instance-{port}", null, port, "restarting", 1, "exited with code 3", null), status);

            // The second start waits for the fake clock; its quick crash doubles the delay.
            _time.Advance(TimeSpan.FromSeconds(1));
            await Until(() => Logged($"instance-{port}: restart 2 in 2 s: exited with code 3"));
            Assert.Equal(2, _log.Count(line => line.Contains("started pid", StringComparison.Ordinal)));

            string file = await File.ReadAllTextAsync(Path.Combine(_logDir, $"instance_{port}.log"));
            Assert.Contains("hello from the child", file, StringComparison.Ordinal);
            Assert.Contains("[supervisor] restart 1 in 1 s: exited with code 3", file, StringComparison.Ordinal);
        }
        finally
        {
            _time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task Stop_SendsSigtermToEveryInstance_AndNothingRestarts()
    {
        int[] ports = [FreePort(), FreePort()];
        await using var fleet = Fleet(["exec sleep 60", "exec sleep 60"], ports);
        fleet.Start();
        await Until(() => fleet.Snapshot().All(s => s.Pid is not null));
        int[] pids = fleet.Snapshot().Select(s => s.Pid!.Value).ToArray();
        Assert.All(fleet.Snapshot(), s => Assert.True(s.PssBytes > 0, $"{s.UpstreamId}: a running child has a PSS, got {s.PssBytes}"));

        await fleet.StopAsync().WaitAsync(Patience);

        Assert.All(fleet.Snapshot(), s => Assert.Equal(("stopped", "exited with SIGTERM", 0, (int?)null), (s.State, s.LastExit, s.Restarts, s.Pid)));
        Assert.All(pids, pid => Assert.False(IsRunning(pid)));
        Assert.Equal(ports.Select(p => $"instance-{p}"), fleet.Upstreams.Select(u => u.Id));
        Assert.Equal(ports.Select(p => new Uri($"http://127.0.0.1:{p}")), fleet.Upstreams.Select(u => u.Address));
        Assert.DoesNotContain(_log, line => line.Contains("restart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnInstanceIgnoringSigterm_IsKilledAfterTheDrainTimeout()
    {
        int port = FreePort();
        await using var fleet = Fleet(["trap '' TERM; echo trapped; while true; do sleep 0.1; done"], port);
        try
        {
            fleet.Start();
            await Until(() => File.Exists(Path.Combine(_logDir, $"instance_{port}.log")) && ReadShared(Path.Combine(_logDir, $"instance_{port}.log")).Contains("trapped", StringComparison.Ordinal));

            Task stopping = fleet.StopAsync();
            await Until(() => Logged("SIGTERM sent to pid"));
            Assert.False(stopping.IsCompleted);

            _time.Advance(Options.DrainTimeout);
            await stopping.WaitAsync(Patience);

            Assert.True(Logged("still running after the drain timeout: SIGKILL"));
            Assert.Equal("exited with SIGKILL", Assert.Single(fleet.Snapshot()).LastExit);
        }
        finally
        {
            _time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    private FleetSupervisor Fleet(IReadOnlyList<string> scripts, params int[] ports) => new(
        ports.Select((port, i) => new ResolvedInstance(i, port, 0.1, ["m"], new ResolvedEngine(null, 2048, 256, KvCacheDType.Float32, 1024), null)).ToList(),
        new ShellLauncher(scripts), _logDir, Options, _time, Record);

    private void Record(string line)
    {
        lock (_log)
        {
            _log.Add(line);
        }
    }

    private bool Logged(string text)
    {
        lock (_log)
        {
            return _log.Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>The log file is held open for appending by the supervisor.</summary>
    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    /// <summary>Polls in real time until the condition holds, failing after a deadline.</summary>
    private static async Task Until(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Patience, "condition not met in time");
            await Task.Delay(20);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class ShellLauncher(IReadOnlyList<string> scripts) : IInstanceLauncher
    {
        public ProcessStartInfo StartInfo(ResolvedInstance instance) => new("sh", ["-c", scripts[instance.Index]]);
    }
}
