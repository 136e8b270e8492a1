using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>Drives SharpServe's model the way the tests compare it with llama.cpp.</summary>
public static class EngineHarness
{
    /// <summary>Logits at every prompt position ([positions][vocab]), the prompt fed in chunks of <paramref name="chunk"/> tokens.</summary>
    public static float[][] PromptLogits(LoadedModel model, int[] prompt, int chunk, KvCacheDType kvCacheDType = KvCacheDType.Float32)
    {
        var runner = NewRunner(model, prompt.Length, kvCacheDType: kvCacheDType);
        var sequence = new SequenceState();
        var rows = new List<float[]>();
        for (int start = 0; start < prompt.Length; start += chunk)
        {
            int[] part = prompt[start..Math.Min(prompt.Length, start + chunk)];
            rows.AddRange(Split(runner.Step([new BatchEntry(sequence, part)], allPositions: true), model.Config.VocabSize));
        }

        return [.. rows];
    }

    /// <summary>Greedy continuation, one decode step per token after the prompt.</summary>
    public static int[] Greedy(LoadedModel model, int[] prompt, int count)
    {
        var runner = NewRunner(model, prompt.Length + count);
        var sequence = new SequenceState();
        var logits = runner.Step([new BatchEntry(sequence, prompt)], allPositions: false);
        var output = new int[count];
        for (int i = 0; i < count; i++)
        {
            output[i] = SharpServe.Engine.Sampling.Greedy.ArgMax(logits);
            if (i + 1 < count)
            {
                logits = runner.Step([new BatchEntry(sequence, [output[i]])], allPositions: false);
            }
        }

        return output;
    }

    public static ModelRunner NewRunner(LoadedModel model, int tokens, int extraBlocks = 0, KvCacheDType kvCacheDType = KvCacheDType.Float32) =>
        new(model.Model, new KvCachePool(model.Config, (tokens + KvCachePool.DefaultBlockSize - 1) / KvCachePool.DefaultBlockSize + extraBlocks, KvCachePool.DefaultBlockSize, kvCacheDType));

    public static float[][] Split(float[] logits, int vocab) =>
        Enumerable.Range(0, logits.Length / vocab).Select(r => logits.AsSpan(r * vocab, vocab).ToArray()).ToArray();

    public static float MaxAbsDiff(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int r = 0; r < a.Length; r++)
        {
            Assert.Equal(a[r].Length, b[r].Length);
            for (int i = 0; i < a[r].Length; i++)
            {
                max = Math.Max(max, Math.Abs(a[r][i] - b[r][i]));
            }
        }

        return max;
    }

    /// <summary>A reproducible prompt of regular-vocabulary ids.</summary>
    public static int[] RandomPrompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(0, 151643)).ToArray();
    }
}
