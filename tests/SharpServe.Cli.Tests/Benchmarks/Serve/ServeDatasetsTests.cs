using SharpServe.Cli.Benchmarks.Serve;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

public sealed class ServeDatasetsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-bench-serve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ShareGpt_takes_the_first_human_turn_and_the_gpt_reply_after_it()
    {
        string path = Write("""
            [
              {"id": "a", "conversations": [{"from": "human", "value": "What is two plus two?"}, {"from": "gpt", "value": "It is four, of course."}]},
              {"id": "b", "conversations": [{"from": "system", "value": "be brief"}, {"from": "human", "value": "Name a colour"}, {"from": "gpt", "value": "Red"}, {"from": "human", "value": "Another"}, {"from": "gpt", "value": "Blue, or perhaps green."}]},
              {"id": "c", "conversations": [{"from": "human", "value": "no reply here"}]},
              {"id": "d", "conversations": [{"from": "gpt", "value": "a reply with no question"}]},
              {"id": "e"}
            ]
            """);

        List<BenchPrompt> prompts = ShareGptDataset.Parse(path, outputLen: null);

        Assert.Equal(["What is two plus two?", "Name a colour"], prompts.Select(p => p.Text));
        Assert.Equal(6, prompts[0].OutputTokens); // 22 characters at 4 a token, rounded up
        Assert.Equal(1, prompts[1].OutputTokens); // "Red"
        Assert.Equal(5, prompts[0].ApproxInputTokens);
        Assert.All(ShareGptDataset.Parse(path, outputLen: 64), p => Assert.Equal(64, p.OutputTokens));
    }

    [Fact]
    public void ShareGpt_reuses_conversations_when_more_prompts_are_asked_for()
    {
        string path = Write("""[{"conversations": [{"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1"}]}, {"conversations": [{"from": "human", "value": "q2"}, {"from": "gpt", "value": "a2"}]}]""");

        IReadOnlyList<BenchPrompt> prompts = ShareGptDataset.Load(path, 5, null, new Random(3));

        Assert.Equal(5, prompts.Count);
        Assert.Equal(["q1", "q2"], prompts.Select(p => p.Text).Distinct().Order());
    }

    [Theory]
    [InlineData("[{\"conversations\": [", "not valid JSON")]
    [InlineData("{\"conversations\": []}", "must hold a JSON array")]
    [InlineData("[{\"conversations\": [{\"from\": \"human\", \"value\": \"only a question\"}]}]", "no conversation with a human turn followed by a gpt turn")]
    [InlineData("[1, \"x\", {\"conversations\": 5}]", "no conversation with a human turn followed by a gpt turn")]
    public void A_bad_sharegpt_file_is_a_clear_error(string content, string message)
    {
        string path = Write(content);

        var error = Assert.Throws<ArgumentException>(() => ShareGptDataset.Parse(path, null));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_sharegpt_file_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentException>(() => ShareGptDataset.Parse(Path.Combine(_folder, "nope.json"), null));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prefix_repetition_prompts_share_exact_prefixes_evenly()
    {
        IReadOnlyList<BenchPrompt> prompts = PrefixRepetitionDataset.Create(count: 12, prefixLen: 30, suffixLen: 10, numPrefixes: 3, outputLen: 8, new Random(9));

        var groups = prompts.GroupBy(p => string.Join(' ', p.Text.Split(' ').Take(30))).ToList();
        Assert.Equal(3, groups.Count);
        Assert.All(groups, g => Assert.Equal(4, g.Count()));
        Assert.All(prompts, p => Assert.Equal(40, p.Text.Split(' ').Length));
        Assert.All(prompts, p => Assert.Equal(8, p.OutputTokens));
        // The suffixes are random: no two prompts are the same text, so only the prefix can be cached.
        Assert.Equal(12, prompts.Select(p => p.Text).Distinct().Count());
    }

    [Fact]
    public void Prefix_repetition_needs_between_one_and_num_prompts_prefixes()
    {
        Assert.Throws<ArgumentException>(() => PrefixRepetitionDataset.Create(4, 10, 10, 5, 8, new Random(1)));
        Assert.Throws<ArgumentException>(() => PrefixRepetitionDataset.Create(4, 10, 10, 0, 8, new Random(1)));
    }

    [Fact]
    public void Random_prompts_have_lengths_within_the_range_ratio()
    {
        IReadOnlyList<BenchPrompt> prompts = RandomTextDataset.Create(200, inputLen: 100, outputLen: 20, rangeRatio: 0.5, new Random(4));

        Assert.All(prompts, p => Assert.InRange(p.ApproxInputTokens, 50, 150));
        Assert.All(prompts, p => Assert.Equal(p.ApproxInputTokens, p.Text.Split(' ').Length));
        Assert.All(prompts, p => Assert.InRange(p.OutputTokens, 10, 30));
        Assert.True(prompts.Select(p => p.ApproxInputTokens).Distinct().Count() > 20, "lengths should vary with a range ratio");
        Assert.All(RandomTextDataset.Create(10, 100, 20, 0, new Random(4)), p => Assert.Equal((100, 20), (p.ApproxInputTokens, p.OutputTokens)));
        Assert.Throws<ArgumentException>(() => RandomTextDataset.Create(1, 10, 10, 1, new Random(1)));
    }

    private string Write(string content)
    {
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }
}
