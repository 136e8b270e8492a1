namespace SharpServe.Engine.Scheduling;

/// <summary>
/// What /health needs to tell a working engine from a dead or hung one. Only the engine thread writes these
/// fields; readers on other threads see them through volatile reads.
/// </summary>
public sealed partial class LlmEngine
{
    private volatile bool _loopEnded;
    private volatile bool _idle;
    private long _lastProgressTimestamp;

    /// <summary>False once the engine loop has stopped: disposed, or failed with an exception.</summary>
    public bool IsLoopAlive => !_loopEnded;

    /// <summary>
    /// How long the engine thread has gone without finishing a step or taking a command while requests are
    /// live; zero when it is idle or has no live requests. A large value means a hung step.
    /// </summary>
    public TimeSpan TimeWithoutProgress =>
        _idle || Volatile.Read(ref _liveRequests) == 0 ? TimeSpan.Zero : _time.GetElapsedTime(Volatile.Read(ref _lastProgressTimestamp));

    private void MarkProgress() => Volatile.Write(ref _lastProgressTimestamp, _time.GetTimestamp());

    /// <summary>Brackets the blocking wait for commands, during which live requests cannot be waiting on the thread.</summary>
    private bool WaitIdle()
    {
        _idle = true;
        bool more = WaitForCommand();
        MarkProgress();
        _idle = false;
        return more;
    }
}
