namespace SharpServe.Fleet.Supervision;

/// <summary>
/// How long to wait before restarting a crashed instance: 1 s, 2 s, 4 s … capped at 30 s, so a crash loop
/// costs little; back to 1 s once an instance stayed up 60 s, so a rare crash restarts fast.
/// </summary>
public sealed class RestartBackoff(TimeProvider time)
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StableUptime = TimeSpan.FromSeconds(60);

    private DateTimeOffset _startedAt = time.GetUtcNow();
    private int _crashesInARow;

    /// <summary>Call when a process starts; its uptime decides whether the next crash resets the backoff.</summary>
    public void Started() => _startedAt = time.GetUtcNow();

    /// <summary>The delay before the restart that follows a crash now.</summary>
    public TimeSpan NextDelay()
    {
        if (time.GetUtcNow() - _startedAt >= StableUptime)
        {
            _crashesInARow = 0;
        }

        // Doubling stops at the cap; the exponent is bounded so the shift cannot overflow.
        TimeSpan delay = First * (1L << Math.Min(_crashesInARow, 16));
        _crashesInARow++;
        return delay < Cap ? delay : Cap;
    }
}
