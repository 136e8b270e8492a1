namespace SharpServe.Fleet.Gateway;

/// <summary>Whether an upstream may be routed to.</summary>
public enum HealthState
{
    /// <summary>Not probed successfully yet: not routable, since a starting instance refuses or answers 503.</summary>
    Unknown,
    Healthy,
    Unhealthy,
}

/// <summary>
/// Judges one upstream from probe results and passive failures (the prober only reports; this decides):
/// healthy after one successful probe, unhealthy after <see cref="FailuresToUnhealthy"/> consecutive failed
/// probes or at once on a transport failure of a forwarded request. Thread-safe.
/// </summary>
public sealed class HealthJudge
{
    /// <summary>One failed probe may be a blip; two in a row take the upstream out of rotation.</summary>
    public const int FailuresToUnhealthy = 2;

    private readonly Lock _lock = new();
    private int _consecutiveFailures;

    public HealthState State { get; private set; } = HealthState.Unknown;

    /// <summary>Why the last probe or forwarded request failed; null after a success.</summary>
    public string? LastError { get; private set; }

    /// <summary>Records a successful probe; true when this made the upstream healthy (a transition).</summary>
    public bool ProbeSucceeded()
    {
        lock (_lock)
        {
            _consecutiveFailures = 0;
            LastError = null;
            bool transition = State != HealthState.Healthy;
            State = HealthState.Healthy;
            return transition;
        }
    }

    public void ProbeFailed(string error)
    {
        lock (_lock)
        {
            _consecutiveFailures++;
            LastError = error;
            if (_consecutiveFailures >= FailuresToUnhealthy)
            {
                State = HealthState.Unhealthy;
            }
        }
    }

    /// <summary>A forwarded request could not reach the upstream (refused, reset, timed out): out of rotation until a probe succeeds.</summary>
    public void PassiveFailure(string error)
    {
        lock (_lock)
        {
            LastError = error;
            State = HealthState.Unhealthy;
        }
    }
}
