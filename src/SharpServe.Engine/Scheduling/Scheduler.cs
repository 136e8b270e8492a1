using SharpServe.Engine.KvCache;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// vLLM v1-style FCFS scheduler: each step only decides how many tokens every sequence computes, under a
/// token budget, with no separate prefill and decode phases. Running sequences go first (1 token when
/// decoding, a chunk of an unfinished prompt otherwise), then waiting ones in arrival order. When the
/// cache cannot grow a running sequence, the newest running one is preempted by recomputation.
/// Not thread-safe: the engine thread owns it.
/// </summary>
public sealed class Scheduler(SchedulerConfig config, KvBlockManager blocks)
{
    private readonly List<Sequence> _waiting = [];
    private readonly List<Sequence> _running = [];

    public int RunningCount => _running.Count;

    public int WaitingCount => _waiting.Count;

    public bool HasWork => _running.Count + _waiting.Count > 0;

    public long Preemptions { get; private set; }

    /// <summary>
    /// Throws <see cref="RequestTooLongException"/> for a request that could never finish: over the model
    /// length, or needing more blocks than the whole cache even alone. Reads only immutable settings, so any
    /// thread may call it before submitting.
    /// </summary>
    public void EnsureFits(int promptLength, int? maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptLength);
        // At least one generated token must fit; without max_tokens the sequence may grow to the model length.
        int needed = promptLength + (maxTokens ?? 1);
        int worst = maxTokens is null ? config.MaxModelLen : needed;
        if (needed > config.MaxModelLen)
        {
            throw new RequestTooLongException($"prompt of {promptLength} tokens plus {maxTokens ?? 1} to generate exceeds the model length of {config.MaxModelLen}");
        }

        if (worst > blocks.BlockCount * blocks.BlockSize)
        {
            throw new RequestTooLongException($"{worst} tokens exceed the KV cache's {blocks.BlockCount * blocks.BlockSize}");
        }
    }

    public void Add(Sequence sequence)
    {
        EnsureFits(sequence.PromptIds.Length, sequence.MaxTokens);
        _waiting.Add(sequence);
    }

    /// <summary>
    /// Takes the choices forked from a running sequence (n &gt; 1): those that got blocks run from the next
    /// step while max_num_seqs allows; the rest give their blocks back and wait at the front, as old as
    /// their parent, to compute the prompt themselves.
    /// </summary>
    public void AddForked(IReadOnlyList<Sequence> children)
    {
        var waiting = new List<Sequence>();
        foreach (Sequence child in children)
        {
            if (child.State is not null && _running.Count < config.MaxNumSeqs)
            {
                _running.Add(child);
                continue;
            }

            blocks.Free(child.Id);
            child.State = null;
            waiting.Add(child);
        }

        _waiting.InsertRange(0, waiting);
    }

    /// <summary>Removes a finished or aborted sequence and frees its blocks (cached prefixes stay reusable).</summary>
    public void Remove(Sequence sequence)
    {
        _ = _running.Remove(sequence) || _waiting.Remove(sequence);
        blocks.Free(sequence.Id);
        sequence.State = null;
    }

    /// <summary>This step's chunks; the caller computes them, then appends sampled tokens or removes sequences.</summary>
    public List<ScheduledChunk> Schedule()
    {
        var chunks = new List<ScheduledChunk>();
        int budget = config.MaxNumBatchedTokens;
        bool preempted = false;
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            Sequence sequence = _running[i];
            int count = Math.Min(sequence.Length - sequence.ComputedTokens, budget);
            // The newest running sequence is preempted until this one fits; it may be this one itself.
            while (sequence.State is not null && !blocks.TryReserve(sequence.Id, sequence.ComputedTokens + count))
            {
                Preempt(_running[^1]);
                preempted = true;
            }

            if (sequence.State is null)
            {
                break;
            }

            chunks.Add(new ScheduledChunk(sequence, sequence.ComputedTokens, count));
            budget -= count;
        }

        // As vLLM does, admit nobody in a step that had to preempt: the pool is already short.
        while (!preempted && budget > 0 && _waiting.Count > 0 && _running.Count < config.MaxNumSeqs)
        {
            Sequence sequence = _waiting[0];
            BlockAllocation allocation = blocks.Allocate(sequence.Id, sequence.Tokens(0, sequence.Length));
            if (!allocation.Succeeded)
            {
                break;
            }

            sequence.State = new SequenceState(blocks.GetBlockTable(sequence.Id), allocation.CachedTokens);
            _waiting.RemoveAt(0);
            _running.Add(sequence);
            int count = Math.Min(sequence.Length - allocation.CachedTokens, budget);
            chunks.Add(new ScheduledChunk(sequence, allocation.CachedTokens, count));
            budget -= count;
        }

        return chunks;
    }

    /// <summary>Recompute-preemption: drop the blocks and computed tokens, keep the output, wait at the front.</summary>
    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        blocks.Free(sequence.Id);
        sequence.State = null;
        _waiting.Insert(0, sequence);
        Preemptions++;
    }
}
