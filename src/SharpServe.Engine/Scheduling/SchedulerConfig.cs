namespace SharpServe.Engine.Scheduling;

/// <summary>
/// Limits of continuous batching, with vLLM's names: each step computes at most
/// <see cref="MaxNumBatchedTokens"/> tokens over at most <see cref="MaxNumSeqs"/> running sequences;
/// no sequence grows past <see cref="MaxModelLen"/> tokens; at most <see cref="MaxQueue"/> requests
/// wait beyond the running ones before submissions are refused.
/// </summary>
public sealed record SchedulerConfig
{
    public SchedulerConfig(int maxNumBatchedTokens, int maxNumSeqs, int maxModelLen, int maxQueue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNumBatchedTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNumSeqs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxModelLen);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        MaxNumBatchedTokens = maxNumBatchedTokens;
        MaxNumSeqs = maxNumSeqs;
        MaxModelLen = maxModelLen;
        MaxQueue = maxQueue;
    }

    public int MaxNumBatchedTokens { get; }

    public int MaxNumSeqs { get; }

    public int MaxModelLen { get; }

    public int MaxQueue { get; }
}
