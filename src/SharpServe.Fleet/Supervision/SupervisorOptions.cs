namespace SharpServe.Fleet.Supervision;

/// <summary>The supervisor's timings.</summary>
/// <param name="LoadTimeout">How long a started instance may take to answer /health 200 before it is killed and restarted.</param>
/// <param name="DrainTimeout">How long an instance may drain after SIGTERM before SIGKILL: a little more than serve's own --drain-timeout (30 s) so a draining child can finish.</param>
/// <param name="HealthPollInterval">Between /health probes while an instance loads.</param>
public sealed record SupervisorOptions(TimeSpan LoadTimeout, TimeSpan DrainTimeout, TimeSpan HealthPollInterval)
{
    public static SupervisorOptions Default { get; } = new(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(35), TimeSpan.FromMilliseconds(250));

    /// <summary>One /health probe; a server that does not answer in this long is not ready.</summary>
    public TimeSpan HealthRequestTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
