namespace SharpServe.Engine.Scheduling;

/// <summary>The scheduler's decision for one sequence this step: compute positions [Start, Start + Count).</summary>
public readonly record struct ScheduledChunk(Sequence Sequence, int Start, int Count)
{
    /// <summary>Whether the chunk reaches the last known token, so its logits yield the next token.</summary>
    public bool CompletesSequence => Start + Count == Sequence.Length;
}
