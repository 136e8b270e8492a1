using SharpServe.Engine.Models;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Benchmarks;

/// <summary>
/// vLLM's "random" dataset: prompts of an exact length whose ids are drawn uniformly from the ordinary
/// vocabulary. Special tokens are left out because a stray end-of-sequence or chat marker in a prompt
/// changes what a real model does with it.
/// </summary>
public static class RandomPrompts
{
    /// <summary>The ids of ordinary (not control, user-defined, byte, unknown or padding) vocabulary entries.</summary>
    public static int[] OrdinaryIds(TokenizerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return [.. Enumerable.Range(0, spec.Kinds.Count).Where(id => spec.Kinds[id] == TokenKind.Normal)];
    }

    /// <summary>The ordinary ids of <paramref name="model"/>'s tokenizer; a model without one cannot tell special tokens apart.</summary>
    public static int[] OrdinaryIds(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        TokenizerSpec spec = model.Tokenizer?.Spec ?? throw new ArgumentException("this model has no tokenizer, so its special tokens cannot be kept out of the random prompts");
        return [.. OrdinaryIds(spec).Where(id => id < model.Config.VocabSize)];
    }

    /// <summary><paramref name="count"/> prompts of <paramref name="length"/> ids each, drawn from <paramref name="vocabulary"/> by <paramref name="random"/>.</summary>
    public static int[][] Draw(IReadOnlyList<int> vocabulary, int count, int length, Random random)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(random);
        if (vocabulary.Count == 0)
        {
            throw new ArgumentException("the vocabulary has no ordinary tokens to draw prompts from", nameof(vocabulary));
        }

        var prompts = new int[count][];
        for (int p = 0; p < count; p++)
        {
            prompts[p] = new int[length];
            for (int i = 0; i < length; i++)
            {
                prompts[p][i] = vocabulary[random.Next(vocabulary.Count)];
            }
        }

        return prompts;
    }
}
