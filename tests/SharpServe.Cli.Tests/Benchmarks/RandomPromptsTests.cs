using SharpServe.Cli.Benchmarks;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Tests.Benchmarks;

public sealed class RandomPromptsTests
{
    private static readonly TokenizerSpec Spec = new(
        Tokens: ["a", "b", "<|eos|>", "c", "<0x0A>", "<|user|>", "d", "[PAD7]"],
        Kinds: [TokenKind.Normal, TokenKind.Normal, TokenKind.Control, TokenKind.Normal, TokenKind.Byte, TokenKind.UserDefined, TokenKind.Normal, TokenKind.Unused],
        Merges: [],
        Pre: "qwen2",
        BosId: null,
        EosId: 2,
        PadId: null,
        AddBos: false,
        ChatTemplate: null);

    [Fact]
    public void OrdinaryIds_AreExactlyTheNormalTokens()
    {
        Assert.Equal([0, 1, 3, 6], RandomPrompts.OrdinaryIds(Spec));
    }

    [Fact]
    public void Draw_GivesExactLengths_FromTheVocabularyOnly_AndCoversIt()
    {
        int[] vocabulary = RandomPrompts.OrdinaryIds(Spec);
        int[][] prompts = RandomPrompts.Draw(vocabulary, count: 50, length: 40, new Random(7));
        Assert.Equal(50, prompts.Length);
        Assert.All(prompts, prompt => Assert.Equal(40, prompt.Length));
        int[] used = [.. prompts.SelectMany(p => p).Distinct().Order()];
        Assert.Equal(vocabulary, used); // in range, no special token, and uniform enough to hit every ordinary id
    }

    [Fact]
    public void Draw_IsDeterministicForASeed_AndDiffersAcrossSeeds()
    {
        int[] vocabulary = [.. Enumerable.Range(0, 1000)];
        int[][] a = RandomPrompts.Draw(vocabulary, 3, 16, new Random(1));
        int[][] b = RandomPrompts.Draw(vocabulary, 3, 16, new Random(1));
        int[][] c = RandomPrompts.Draw(vocabulary, 3, 16, new Random(2));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Workload_GivesEveryLevelFreshPrompts_TheSameOnEveryCall()
    {
        var settings = new BenchmarkSettings(null, NumPrompts: 4, InputLen: 8, OutputLen: 2, Concurrency: [1, 2], Seed: 3, Warmup: 1,
            MaxNumSeqs: 2, MaxNumBatchedTokens: 2048, MaxModelLen: 10, MemoryUtilization: null, KvCacheMemoryBytes: null, KvCacheDType: Engine.Memory.KvCacheDType.Float32, Threads: 1, OutputJson: null);
        int[] vocabulary = [.. Enumerable.Range(0, 5000)];
        var first = BenchmarkWorkload.Create(vocabulary, settings);
        var again = BenchmarkWorkload.Create(vocabulary, settings);
        Assert.Equal([1, 2], first.Select(level => level.Concurrency));
        Assert.All(first, level => Assert.Equal((1, 4, 2), (level.WarmupPrompts.Length, level.Prompts.Length, level.OutputLen)));
        Assert.Equal(first.Select(l => l.Prompts), again.Select(l => l.Prompts));
        var all = first.SelectMany(level => level.WarmupPrompts.Concat(level.Prompts)).Select(p => string.Join(',', p)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }
}
