using SharpServe.Engine.KvCache;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Models;

/// <summary>
/// A chunk of new tokens for one sequence in a batched step. <paramref name="Logits"/> false skips the
/// entry's last-token logits row (an unfinished chunked prefill samples nothing, so the LM head is wasted).
/// </summary>
public readonly record struct BatchEntry(SequenceState Sequence, int[] Tokens, bool Logits = true);

/// <summary>
/// Turns "these sequences advance by these tokens" into one model call: reserves cache blocks,
/// builds the attention metadata and the flat token batch, and runs the forward pass. The
/// continuous-batching scheduler sits on top of this; tools and tests use it directly.
/// </summary>
public sealed class ModelRunner
{
    private readonly AttentionMetadata _metadata;
    private int[] _tokenBuffer = new int[16];
    private int[] _logitRowBuffer = new int[16];

    public ModelRunner(Qwen2Model model, KvCachePool cache)
    {
        Model = model;
        Cache = cache;
        _metadata = new AttentionMetadata(cache.BlockSize);
    }

    public Qwen2Model Model { get; }
    public KvCachePool Cache { get; }

    /// <summary>Returns the sequence's cache blocks to the pool.</summary>
    public void Release(SequenceState sequence)
    {
        if (sequence.BlocksManaged)
        {
            throw new InvalidOperationException("the sequence's blocks belong to a KvBlockManager; free them there");
        }

        sequence.Blocks.Release(Cache);
        sequence.CachedTokens = 0;
    }

    /// <summary>
    /// Advances every entry's sequence by its tokens in one forward pass. Returns the logits of
    /// every new token ([total tokens, vocab]) when <paramref name="allPositions"/>, else of the
    /// last token of each entry whose <see cref="BatchEntry.Logits"/> is set ([such entries, vocab]).
    /// </summary>
    public float[] Step(IReadOnlyList<BatchEntry> entries, bool allPositions)
    {
        int total = entries.Sum(e => e.Tokens.Length);
        int rows = allPositions ? total : entries.Count(e => e.Logits);
        var logits = new float[(long)rows * Model.Config.VocabSize];
        Step(entries, allPositions, logits);
        return logits;
    }

    /// <summary><see cref="Step(IReadOnlyList{BatchEntry}, bool)"/> into a caller-owned buffer (no allocation in steady state).</summary>
    public void Step(IReadOnlyList<BatchEntry> entries, bool allPositions, Span<float> logits)
    {
        var (tokens, rows) = Batch(entries, allPositions);
        Model.Forward(tokens.Span, _metadata, Cache, rows.Span, logits);
        Advance(entries);
    }

    /// <summary>
    /// Advances the entries like <see cref="Step(IReadOnlyList{BatchEntry}, bool, Span{float})"/> and runs each draw where the
    /// backend holds the logits: <see cref="SamplingRow.LogitsRow"/> r is the last token of the r-th entry whose
    /// <see cref="BatchEntry.Logits"/> is set. Only the drawn tokens leave the backend.
    /// </summary>
    public void StepAndSample(IReadOnlyList<BatchEntry> entries, ReadOnlySpan<SamplingRow> draws)
    {
        var (tokens, rows) = Batch(entries, allPositions: false);
        Model.ForwardAndSample(tokens.Span, _metadata, Cache, rows.Span, draws);
        Advance(entries);
    }

    /// <summary>Checks the entries, reserves their blocks, and builds the flat token batch, its metadata and the logit rows.</summary>
    private (ReadOnlyMemory<int> Tokens, ReadOnlyMemory<int> LogitRows) Batch(IReadOnlyList<BatchEntry> entries, bool allPositions)
    {
        _metadata.Clear();
        int total = 0;
        int rows = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var (sequence, tokens, wantLogits) = entries[i];
            if (tokens.Length == 0)
            {
                throw new ArgumentException($"entry {i} has no tokens", nameof(entries));
            }

            int contextLength = sequence.CachedTokens + tokens.Length;
            if (contextLength > Model.Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException($"sequence would reach {contextLength} tokens, beyond the model's {Model.Config.MaxPositionEmbeddings}", nameof(entries));
            }

            if (sequence.BlocksManaged)
            {
                if (sequence.Blocks.Count * Cache.BlockSize < contextLength)
                {
                    throw new InvalidOperationException($"entry {i} has blocks for {sequence.Blocks.Count * Cache.BlockSize} tokens, fewer than {contextLength}; reserve them in the block manager first");
                }
            }
            else if (!sequence.Blocks.TryReserve(Cache, contextLength))
            {
                throw new InvalidOperationException($"KV cache is full: {Cache.FreeBlocks} free blocks of {Cache.BlockCount}, cannot hold {contextLength} tokens");
            }

            EnsureLength(ref _tokenBuffer, total + tokens.Length);
            EnsureLength(ref _logitRowBuffer, allPositions ? total + tokens.Length : rows + 1);
            tokens.CopyTo(_tokenBuffer, total);
            _metadata.AddSequence(tokens.Length, sequence.CachedTokens, sequence.Blocks.Blocks);
            if (allPositions)
            {
                for (int j = 0; j < tokens.Length; j++)
                {
                    _logitRowBuffer[rows++] = total + j;
                }
            }
            else if (wantLogits)
            {
                _logitRowBuffer[rows++] = total + tokens.Length - 1;
            }

            total += tokens.Length;
        }

        return (_tokenBuffer.AsMemory(0, total), _logitRowBuffer.AsMemory(0, rows));
    }

    private static void Advance(IReadOnlyList<BatchEntry> entries)
    {
        // An index loop: foreach over the interface would allocate an enumerator every step.
        for (int i = 0; i < entries.Count; i++)
        {
            entries[i].Sequence.CachedTokens += entries[i].Tokens.Length;
        }
    }

    private static void EnsureLength(ref int[] array, int needed)
    {
        if (array.Length < needed)
        {
            Array.Resize(ref array, Math.Max(needed, array.Length * 2));
        }
    }
}
