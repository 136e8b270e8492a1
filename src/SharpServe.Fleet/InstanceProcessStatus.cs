namespace SharpServe.Fleet;

/// <summary>What the supervisor knows of one instance's process, shown by the gateway's <c>GET /fleet/status</c>.</summary>
/// <param name="UpstreamId">The <see cref="Upstream.Id"/> of the instance.</param>
/// <param name="Pid">Null while no process runs (between a crash and its restart).</param>
/// <param name="State">starting, ready, restarting (waiting out its backoff), stopping or stopped.</param>
/// <param name="LastExit">Why the last process ended (exit code or signal), if one did.</param>
/// <param name="PssBytes">Proportional set size from /proc/PID/smaps_rollup: shared pages count 1/n in each of n processes.</param>
public sealed record InstanceProcessStatus(string UpstreamId, int? Pid, int Port, string State, int Restarts, string? LastExit, long? PssBytes);

/// <summary>The supervisor's view of its instances, read by the gateway; the gateway runs without it in front of remote URLs.</summary>
public interface IInstanceProcesses
{
    IReadOnlyList<InstanceProcessStatus> Snapshot();
}
