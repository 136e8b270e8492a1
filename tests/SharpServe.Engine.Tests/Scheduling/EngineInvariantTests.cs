using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>
/// What continuous batching must not change: a request's tokens do not depend on what shares its batch, on
/// prefix-cache hits, on preemption or on prefill chunking; and every block comes back.
/// </summary>
public sealed class EngineInvariantTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static readonly SamplingParams Greedy = new(temperature: 0, maxTokens: 8, ignoreEos: true);

    [Fact]
    public async Task GreedyTokens_AreTheSame_AloneBatchedAndOnAPrefixHit()
    {
        int[] prompt = EngineHarness.RandomPrompt(100, seed: 1);
        int[] expected = EngineHarness.Greedy(fixture.Model, prompt, 8);
        Assert.True(expected.Distinct().Count() > 1, "a constant continuation would hide mixed-up rows");
        using LlmEngine engine = fixture.NewEngine();

        Assert.Equal(expected, await Run(engine, "alone", prompt, Greedy));

        var others = Enumerable.Range(0, 15)
            .Select(i => TinyModelFixture.Collect(engine.Submit(new EngineRequest($"other{i}", EngineHarness.RandomPrompt(5 + (7 * i), seed: 10 + i), Greedy))))
            .ToList();
        Assert.Equal(expected, await Run(engine, "batched", prompt, Greedy));
        await Task.WhenAll(others);

        long hitsBefore = engine.Stats.PrefixHits;
        Assert.Equal(expected, await Run(engine, "again", prompt, Greedy));
        Assert.True(engine.Stats.PrefixHits - hitsBefore >= 96, "the repeated prompt should hit its 6 full cached blocks");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    public async Task GreedyTokens_AreTheSame_WithChunkedPrefill(int maxNumBatchedTokens)
    {
        int[] prompt = EngineHarness.RandomPrompt(100, seed: 2);
        using LlmEngine engine = fixture.NewEngine(maxNumBatchedTokens: maxNumBatchedTokens);

        Assert.Equal(EngineHarness.Greedy(fixture.Model, prompt, 8), await Run(engine, "chunked", prompt, Greedy));
    }

    [Fact]
    public async Task GreedyTokens_AreTheSame_AfterPreemption()
    {
        // Four requests growing to 50 tokens need 16 blocks; 10 force the newest ones out and back.
        var parameters = new SamplingParams(temperature: 0, maxTokens: 20, ignoreEos: true);
        int[][] prompts = [.. Enumerable.Range(0, 4).Select(i => EngineHarness.RandomPrompt(30, seed: 20 + i))];
        using LlmEngine engine = fixture.NewEngine(maxModelLen: 160, kvBlocks: 10);

        int[][] outputs = await Task.WhenAll(prompts.Select((prompt, i) => Run(engine, $"r{i}", prompt, parameters)));

        Assert.True(engine.Stats.Preemptions > 0, "the pool should have been too small for all four");
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(EngineHarness.Greedy(fixture.Model, prompts[i], 20), outputs[i]);
        }

        Assert.Equal(10, engine.Stats.FreeKvBlocks);
    }

    [Fact]
    public async Task SeededSampledTokens_DoNotDependOnTheBatch()
    {
        var seeded = new SamplingParams(temperature: 1, topK: 50, seed: 42, maxTokens: 8, ignoreEos: true);
        int[] prompt = EngineHarness.RandomPrompt(20, seed: 3);
        using LlmEngine engine = fixture.NewEngine();
        int[] alone = await Run(engine, "alone", prompt, seeded);

        var unseeded = new SamplingParams(temperature: 1, maxTokens: 8, ignoreEos: true);
        var others = Enumerable.Range(0, 5)
            .Select(i => TinyModelFixture.Collect(engine.Submit(new EngineRequest($"other{i}", EngineHarness.RandomPrompt(10 + i, seed: 30 + i), unseeded))))
            .ToList();
        int[] batched = await Run(engine, "batched", prompt, seeded);
        await Task.WhenAll(others);

        Assert.Equal(alone, batched);
    }

    private static async Task<int[]> Run(LlmEngine engine, string id, int[] prompt, SamplingParams parameters) =>
        TinyModelFixture.Tokens(await TinyModelFixture.Collect(engine.Submit(new EngineRequest(id, prompt, parameters))));
}
