using System.Diagnostics;
using LLama;
using LLama.Batched;
using LLama.Native;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;

namespace SharpServe.Bench;

/// <summary>
/// Batched decode without prefill in the timing: every sequence's prompt is computed first, then each
/// <see cref="Run"/> times decode-only steps that advance all sequences by one greedy token at once.
/// Both engines run the same prompts; sessions stay open so repeats of the two can interleave.
/// </summary>
public interface IBatchedDecodeSession : IDisposable
{
    /// <summary>Output tokens/s (all sequences together) over <paramref name="steps"/> decode steps.</summary>
    double Run(int steps);
}

/// <summary>The prompts of the batched phase: ordinary token ids, one seeded stream per sequence.</summary>
public static class BatchedPrompts
{
    public static int[][] Create(int sequences, int length) =>
        [.. Enumerable.Range(0, sequences).Select(s =>
        {
            var random = new Random(1000 + s);
            return Enumerable.Range(0, length).Select(_ => random.Next(0, 151643)).ToArray();
        })];
}

/// <summary>SharpServe's side: one <see cref="ModelRunner"/> step carries every sequence's next token.</summary>
public sealed class SharpServeBatchedDecode : IBatchedDecodeSession
{
    private readonly ModelRunner _runner;
    private readonly BatchEntry[] _step;
    private readonly float[] _logits; // [sequences, vocab]
    private readonly int _vocab;

    public SharpServeBatchedDecode(LoadedModel model, int[][] prompts, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        int blocksPerSequence = (prompts.Max(p => p.Length) + maxSteps) / KvCachePool.DefaultBlockSize + 1;
        var cache = new KvCachePool(model.Config, prompts.Length * blocksPerSequence);
        cache.Prefault();
        _runner = new ModelRunner(model.Model, cache);
        _vocab = model.Config.VocabSize;
        _logits = new float[prompts.Length * _vocab];
        var sequences = prompts.Select(_ => new SequenceState()).ToArray();
        _runner.Step([.. prompts.Select((prompt, i) => new BatchEntry(sequences[i], prompt))], allPositions: false, _logits);
        _step = [.. sequences.Select(sequence => new BatchEntry(sequence, new int[1]))];
    }

    public double Run(int steps)
    {
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < _step.Length; i++)
            {
                _step[i].Tokens[0] = Greedy.ArgMax(_logits.AsSpan(i * _vocab, _vocab));
            }

            _runner.Step(_step, allPositions: false, _logits);
        }

        return (double)_step.Length * steps / clock.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        foreach (var entry in _step)
        {
            _runner.Release(entry.Sequence);
        }
    }
}

/// <summary>
/// llama.cpp's side: one LLamaSharp <see cref="BatchedExecutor"/> with a conversation per sequence, in the
/// context <see cref="LlamaCppBatchedTarget"/> uses for the same parallelism (llama.cpp's defaults); each
/// step samples every conversation and runs one <see cref="BatchedExecutor.Infer"/>.
/// </summary>
public sealed class LlamaCppBatchedDecode : IBatchedDecodeSession
{
    private readonly BatchedExecutor _executor;
    private readonly Conversation[] _conversations;

    public LlamaCppBatchedDecode(LLamaWeights weights, string path, int[][] prompts, int maxSteps, int threads)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var parameters = LlamaCppBatchedTarget.Parameters(path, prompts.Length, prompts.Max(p => p.Length) + maxSteps, threads);
        _executor = new BatchedExecutor(weights, parameters);
        _conversations = [.. prompts.Select(prompt =>
        {
            var conversation = _executor.Create();
            conversation.Prompt(prompt.Select(id => (LLamaToken)id).ToArray().AsSpan());
            return conversation;
        })];

        // The executor may split the prompts over several batches; infer until every conversation has its logits.
        while (_conversations.Any(c => !c.RequiresSampling))
        {
            Infer();
        }
    }

    public double Run(int steps)
    {
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++)
        {
            foreach (var conversation in _conversations)
            {
                conversation.Prompt((LLamaToken)Greedy.ArgMax(conversation.Sample()));
            }

            Infer();
        }

        return (double)_conversations.Length * steps / clock.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        foreach (var conversation in _conversations)
        {
            conversation.Dispose();
        }

        _executor.Dispose();
    }

    private void Infer()
    {
        DecodeResult result = _executor.Infer().GetAwaiter().GetResult();
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp decode failed: {result}");
        }
    }
}
