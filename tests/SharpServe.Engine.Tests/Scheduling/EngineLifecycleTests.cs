using System.Threading.Channels;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>Admission, aborts, block accounting, prefix sharing and the contents of the outputs.</summary>
public sealed class EngineLifecycleTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task RandomArrivalsAndAborts_ReturnEveryBlock()
    {
        const int blocks = 12;
        var random = new Random(1234);
        // A small pool and budget: prompts are chunked and may be preempted, so aborts land in prefill, decode and
        // waiting. Where they land depends on timing, hence only the invariant is asserted; the targeted cases
        // (AbortDuringPrefill, preemption) have their own tests. Some requests have n > 1, so forks are aborted too.
        using var engine = fixture.NewEngine(maxNumBatchedTokens: 16, maxNumSeqs: 6, maxModelLen: blocks * 16, kvBlocks: blocks);
        var requests = new List<Task>();
        for (int i = 0; i < 20; i++)
        {
            var parameters = new SamplingParams(temperature: 0, maxTokens: random.Next(1, 20), ignoreEos: true, n: random.Next(1, 4));
            string id = $"r{i}";
            ChannelReader<RequestOutput> reader = engine.Submit(new EngineRequest(id, EngineHarness.RandomPrompt(random.Next(1, 60), seed: i), parameters));
            int abortAfter = random.Next(-3, 10); // negative: never abort; 0: abort at once, usually before or during prefill
            if (abortAfter == 0)
            {
                engine.Abort(id);
            }

            requests.Add(Consume(engine, id, reader, abortAfter));
            if (random.Next(3) == 0)
            {
                await Task.Delay(random.Next(5));
            }
        }

        await Task.WhenAll(requests).WaitAsync(TinyModelFixture.Timeout);

        EngineStats stats = engine.Stats;
        Assert.Equal((0, 0, blocks), (stats.Running, stats.Waiting, stats.FreeKvBlocks));
    }

    [Fact]
    public async Task AbortDuringPrefill_ReturnsEveryBlock()
    {
        // 2,000 prompt tokens at 4 per step: hundreds of steps before the first output token.
        using var engine = fixture.NewEngine(maxNumBatchedTokens: 4, maxModelLen: 2048, kvBlocks: 128);
        ChannelReader<RequestOutput> reader = engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(2000, seed: 8), new SamplingParams(maxTokens: 2)));
        var deadline = DateTime.UtcNow + TinyModelFixture.Timeout;
        while (engine.Stats.Running == 0 && DateTime.UtcNow < deadline)
        {
            Thread.SpinWait(100);
        }

        engine.Abort("r");

        Assert.Empty(await TinyModelFixture.Collect(reader));
        Assert.Equal(128, engine.Stats.FreeKvBlocks);
    }

    [Fact]
    public async Task SharedThousandTokenPrefix_IsComputedOnce()
    {
        int[] prefix = EngineHarness.RandomPrompt(1000, seed: 5);
        var parameters = new SamplingParams(temperature: 0, maxTokens: 1);
        using var engine = fixture.NewEngine(maxNumBatchedTokens: 512, maxModelLen: 2048, kvBlocks: 160);

        await TinyModelFixture.Collect(engine.Submit(new EngineRequest("first", [.. prefix, 11], parameters)));
        long first = engine.Stats.ComputedPromptTokens;
        await TinyModelFixture.Collect(engine.Submit(new EngineRequest("second", [.. prefix, 12], parameters)));
        long second = engine.Stats.ComputedPromptTokens - first;

        Assert.Equal(1001, first);
        Assert.True(second <= first / 10, $"the second request computed {second} prompt tokens, the first {first}");
    }

    [Fact]
    public void TooLongRequest_IsRejectedBeforeTakingBlocks()
    {
        using var engine = fixture.NewEngine(maxModelLen: 64, kvBlocks: 8);

        Assert.Throws<RequestTooLongException>(() => engine.Submit(new EngineRequest("a", EngineHarness.RandomPrompt(60, 1), new SamplingParams(maxTokens: 5))));
        Assert.Throws<RequestTooLongException>(() => engine.Submit(new EngineRequest("b", EngineHarness.RandomPrompt(64, 1), new SamplingParams(maxTokens: null))));
        Assert.Equal(8, engine.Stats.FreeKvBlocks);
    }

    [Fact]
    public async Task FullQueue_RejectsUntilARequestEnds()
    {
        var longRunning = new SamplingParams(temperature: 0, maxTokens: 400, ignoreEos: true);
        using var engine = fixture.NewEngine(maxNumSeqs: 1, maxQueue: 1);
        var first = engine.Submit(new EngineRequest("a", [1, 2, 3], longRunning));
        var second = engine.Submit(new EngineRequest("b", [4, 5, 6], longRunning));

        Assert.Throws<EngineQueueFullException>(() => engine.Submit(new EngineRequest("c", [7, 8, 9], longRunning)));

        engine.Abort("a");
        engine.Abort("b");
        List<RequestOutput> aborted = await TinyModelFixture.Collect(first);
        await TinyModelFixture.Collect(second);
        Assert.DoesNotContain(aborted, o => o.Finished);
        var again = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("c", [7, 8, 9], new SamplingParams(maxTokens: 2))));
        Assert.Equal(FinishReason.Length, again[^1].FinishReason);
    }

    [Fact]
    public async Task Outputs_CarryTextLogprobsUsageAndTheFinishReason()
    {
        int[] prompt = EngineHarness.RandomPrompt(12, seed: 6);
        using var engine = fixture.NewEngine();

        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", prompt, new SamplingParams(temperature: 0, maxTokens: 6, ignoreEos: true, logprobs: 2))));

        int[] tokens = TinyModelFixture.Tokens(outputs);
        Assert.Equal(6, tokens.Length);
        Assert.Equal(fixture.Model.Tokenizer!.Decode(tokens, skipSpecialTokens: true), string.Concat(outputs.Select(o => o.Text)));
        Assert.All(outputs, o => Assert.Equal(2, Assert.Single(o.Logprobs!).Top.Count));
        Assert.All(outputs[..^1], o => Assert.Null(o.FinishReason));
        Assert.Equal(FinishReason.Length, outputs[^1].FinishReason);
        Assert.Equal(new Usage(12, 6), outputs[^1].Usage);
        Assert.Equal(6, engine.Stats.GenerationTokens);
    }

    /// <summary>Reads the request's outputs, aborting it after <paramref name="abortAfter"/> of them when positive.</summary>
    private static async Task Consume(LlmEngine engine, string id, ChannelReader<RequestOutput> reader, int abortAfter)
    {
        int seen = 0;
        await foreach (RequestOutput _ in reader.ReadAllAsync())
        {
            if (++seen == abortAfter)
            {
                engine.Abort(id);
            }
        }
    }
}
