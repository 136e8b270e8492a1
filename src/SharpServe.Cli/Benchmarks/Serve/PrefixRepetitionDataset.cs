namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// vLLM's "prefix-repetition" dataset: a few random prefixes, each shared word for word by an equal share
/// of the prompts and followed by a random suffix, shuffled, so a server with prefix caching reuses the
/// prefix's KV blocks and one without recomputes them.
/// </summary>
public static class PrefixRepetitionDataset
{
    public static IReadOnlyList<BenchPrompt> Create(int count, int prefixLen, int suffixLen, int numPrefixes, int outputLen, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (numPrefixes < 1 || numPrefixes > count)
        {
            throw new ArgumentException($"--prefix-repetition-num-prefixes must be between 1 and --num-prompts ({count}), got {numPrefixes}");
        }

        string[] prefixes = [.. Enumerable.Range(0, numPrefixes).Select(_ => PromptWords.Draw(prefixLen, random))];
        var prompts = new BenchPrompt[count];
        for (int i = 0; i < count; i++)
        {
            // Prefix i mod P, so the P prefixes take turns and each is shared by count / P prompts (±1).
            string text = prefixes[i % numPrefixes] + " " + PromptWords.Draw(suffixLen, random);
            prompts[i] = new BenchPrompt(text, prefixLen + suffixLen, outputLen);
        }

        random.Shuffle(prompts);
        return prompts;
    }
}
