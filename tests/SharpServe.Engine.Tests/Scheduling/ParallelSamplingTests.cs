using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>
/// n &gt; 1: the choices share the prompt's blocks (computed once), yet each yields exactly what a lone
/// request with its seed would, whether it was forked or had to recompute the prompt.
/// </summary>
public sealed class ParallelSamplingTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(37)] // the last prompt block is partly filled: forking copies it
    [InlineData(48)] // whole blocks only: nothing to copy
    public async Task GreedyChoices_AllEqualTheGreedyContinuation_AndThePromptIsComputedOnce(int promptLength)
    {
        int[] prompt = EngineHarness.RandomPrompt(promptLength, seed: 5);
        int[] expected = EngineHarness.Greedy(fixture.Model, prompt, 10);
        using var engine = new LlmEngine(fixture.Model, new SchedulerConfig(64, 16, 512, 64), kvBlocks: 64, enablePrefixCaching: false);

        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", prompt, new SamplingParams(temperature: 0, maxTokens: 10, ignoreEos: true, n: 3))));

        for (int index = 0; index < 3; index++)
        {
            Assert.Equal(expected, ChoiceTokens(outputs, index));
            Assert.Equal(FinishReason.Length, outputs.Last(o => o.Index == index).FinishReason);
        }

        Assert.Equal(promptLength, engine.Stats.ComputedPromptTokens);
        Assert.Equal(64, engine.Stats.FreeKvBlocks);
    }

    [Fact]
    public async Task SeededChoices_EqualLoneRequestsSeededSeedPlusIndex()
    {
        int[] prompt = EngineHarness.RandomPrompt(21, seed: 6);
        using LlmEngine engine = fixture.NewEngine();
        var parameters = new SamplingParams(temperature: 1, topK: 50, seed: 42, maxTokens: 8, ignoreEos: true, n: 3);

        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("n3", prompt, parameters)));

        int[][] choices = [.. Enumerable.Range(0, 3).Select(index => ChoiceTokens(outputs, index))];
        for (int index = 0; index < 3; index++)
        {
            var alone = new SamplingParams(temperature: 1, topK: 50, seed: 42 + index, maxTokens: 8, ignoreEos: true);
            Assert.Equal(TinyModelFixture.Tokens(await TinyModelFixture.Collect(engine.Submit(new EngineRequest($"alone{index}", prompt, alone)))), choices[index]);
        }

        Assert.True(choices.Select(c => string.Join(',', c)).Distinct().Count() > 1, "different seeds should give different choices");
    }

    [Theory]
    [InlineData(4, 16)] // a pool too small to fork every choice: the rest wait and compute the prompt themselves
    [InlineData(64, 2)] // max_num_seqs below n: forked choices beyond it wait
    public async Task ChoicesThatCannotForkNow_RecomputeAndStillMatch(int kvBlocks, int maxNumSeqs)
    {
        int[] prompt = EngineHarness.RandomPrompt(40, seed: 7);
        int[] expected = EngineHarness.Greedy(fixture.Model, prompt, 20);
        using LlmEngine engine = fixture.NewEngine(maxNumSeqs: maxNumSeqs, maxModelLen: 64, kvBlocks: kvBlocks);

        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", prompt, new SamplingParams(temperature: 0, maxTokens: 20, ignoreEos: true, n: 3))));

        for (int index = 0; index < 3; index++)
        {
            Assert.Equal(expected, ChoiceTokens(outputs, index));
        }

        Assert.True(engine.Stats.ComputedPromptTokens > prompt.Length, "some choice should have recomputed its prompt");
        Assert.Equal(kvBlocks, engine.Stats.FreeKvBlocks);
    }

    [Fact]
    public async Task AbortDuringDecode_EndsEveryChoice_AndReturnsEveryBlock()
    {
        // 4,000 tokens a choice: thousands of steps, so the abort lands long before any choice could finish.
        using LlmEngine engine = fixture.NewEngine(maxModelLen: 4096, kvBlocks: 1100);
        var reader = engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(30, seed: 8), new SamplingParams(temperature: 0, maxTokens: 4000, ignoreEos: true, n: 4)));
        var seen = new HashSet<int>();
        while (seen.Count < 4 && await reader.WaitToReadAsync())
        {
            seen.Add((await reader.ReadAsync()).Index);
        }

        engine.Abort("r");
        List<RequestOutput> rest = await TinyModelFixture.Collect(reader);

        Assert.DoesNotContain(rest, o => o.Finished);
        Assert.Equal((0, 0, 1100), (engine.Stats.Running, engine.Stats.Waiting, engine.Stats.FreeKvBlocks));
    }

    [Fact]
    public void MoreChoicesThanTheEngineCanHold_IsRefused()
    {
        using LlmEngine engine = fixture.NewEngine(maxNumSeqs: 2, maxQueue: 3);
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(new EngineRequest("r", [1, 2, 3], new SamplingParams(n: 6))));
        Assert.Contains("n = 6", error.Message);
    }

    private static int[] ChoiceTokens(IEnumerable<RequestOutput> outputs, int index) =>
        TinyModelFixture.Tokens(outputs.Where(o => o.Index == index));
}
