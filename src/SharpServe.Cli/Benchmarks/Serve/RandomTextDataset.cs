namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// vLLM's "random" dataset over text: each prompt's input and output lengths are drawn uniformly from
/// [len × (1 − ratio), len × (1 + ratio)] (ratio 0: every request the same), the prompt made of random words.
/// </summary>
public static class RandomTextDataset
{
    public static IReadOnlyList<BenchPrompt> Create(int count, int inputLen, int outputLen, double rangeRatio, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (rangeRatio is < 0 or >= 1)
        {
            throw new ArgumentException($"--random-range-ratio must be in [0, 1), got {rangeRatio}");
        }

        var prompts = new BenchPrompt[count];
        for (int i = 0; i < count; i++)
        {
            int input = Length(inputLen, rangeRatio, random);
            prompts[i] = new BenchPrompt(PromptWords.Draw(input, random), input, Length(outputLen, rangeRatio, random));
        }

        return prompts;
    }

    private static int Length(int length, double ratio, Random random)
    {
        int low = Math.Max(1, (int)Math.Floor(length * (1 - ratio)));
        int high = Math.Max(low, (int)Math.Ceiling(length * (1 + ratio)));
        return random.Next(low, high + 1);
    }
}
