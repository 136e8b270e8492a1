using System.Diagnostics;
using System.Threading.Channels;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Scheduling;

/// <summary>Stop strings applied by the engine, and a malformed request refused before it reaches the engine thread.</summary>
public sealed class EngineBehaviourTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopString_EndsTheStreamedTextAtItsFirstOccurrence(bool includeStopString)
    {
        int[] prompt = EngineHarness.RandomPrompt(10, seed: 41);
        using LlmEngine engine = fixture.NewEngine();
        List<RequestOutput> free = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("free", prompt, new SamplingParams(temperature: 0, maxTokens: 24, ignoreEos: true))));
        string text = string.Concat(free.Select(o => o.Text));
        Assert.True(text.Length >= 8, $"the unstopped text is too short to cut: '{text}'");

        // Two characters from the middle; the engine must stop at their first occurrence, which may be earlier.
        string stop = text.Substring(text.Length / 2, 2);
        int at = text.IndexOf(stop, StringComparison.Ordinal);
        Assert.True(at > 0, $"stop string '{stop}' should not start the text '{text}'");
        var stopped = new SamplingParams(temperature: 0, maxTokens: 24, ignoreEos: true, stop: [stop], includeStopStrInOutput: includeStopString);

        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("stopped", prompt, stopped)));

        string expected = includeStopString ? text[..(at + stop.Length)] : text[..at];
        Assert.Equal(expected, string.Concat(outputs.Select(o => o.Text)));
        Assert.Equal(FinishReason.Stop, outputs[^1].FinishReason);
        Assert.All(outputs[..^1], o => Assert.Null(o.FinishReason));
        Assert.True(outputs.Count < free.Count, $"stopped after {outputs.Count} of {free.Count} tokens");
        Assert.Equal(TinyModelFixture.Tokens(free)[..outputs.Count], TinyModelFixture.Tokens(outputs));
    }

    /// <summary>
    /// An id past the vocabulary is refused by Submit on the caller's thread. Inside a batched step it would make the
    /// embedding lookup throw on the engine thread, which the engine treats as fatal (the KV cache may be
    /// half-written), failing every other request: one malformed request must not take the engine down.
    /// </summary>
    [Fact]
    public async Task TokenIdOutsideTheVocabulary_IsRefusedAtSubmit_AndTheEngineKeepsServing()
    {
        using LlmEngine engine = fixture.NewEngine();
        int vocab = fixture.Model.Config.VocabSize;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => engine.Submit(new EngineRequest("bad", [1, 2, vocab], new SamplingParams(maxTokens: 4))));
        Assert.Contains("outside the vocabulary", error.Message, StringComparison.Ordinal);

        var outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("good", [1, 2, 3], new SamplingParams(maxTokens: 2))));
        Assert.Equal(2, outputs.Sum(o => o.NewTokenIds.Count));
    }
}

/// <summary>The engine thread blocks on its inbox when idle: an idle engine costs (almost) no CPU.</summary>
[Collection(SerialCollection.Name)]
public sealed class EngineBehaviourIdleTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    /// <summary>
    /// 100 ms of CPU over 1.5 s of idleness. The engine thread waits on its channel and the kernel workers spin
    /// about 100 µs after a step before blocking, so the engine's own threads measure 0 here. An engine loop that
    /// polled instead of blocking would burn a whole core, about 1.5 s, and a worker pool that kept spinning would
    /// cost as much per worker.
    /// </summary>
    private static readonly TimeSpan MaxIdleCpu = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task IdleEngine_UsesNoCpu()
    {
        using LlmEngine engine = fixture.NewEngine();
        List<RequestOutput> outputs = await TinyModelFixture.Collect(engine.Submit(new EngineRequest("r", EngineHarness.RandomPrompt(8, seed: 4), new SamplingParams(temperature: 0, maxTokens: 4, ignoreEos: true))))
            .WaitAsync(TimeSpan.FromSeconds(8));
        Assert.Equal(FinishReason.Length, outputs[^1].FinishReason);
        await Task.Delay(100); // past the workers' spin-then-block window

        using var process = Process.GetCurrentProcess();
        TimeSpan before = process.TotalProcessorTime - TieredCompilationCpu();
        var clock = Stopwatch.StartNew();
        await Task.Delay(1500);
        process.Refresh();
        TimeSpan used = process.TotalProcessorTime - TieredCompilationCpu() - before;
        clock.Stop();

        Assert.True(used < MaxIdleCpu, $"the idle engine's process used {used.TotalMilliseconds:F0} ms of CPU (besides tiered JIT) in {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// CPU of the runtime's background tier-1 compiler, which recompiles the methods the test run made hot and
    /// measured 100-200 ms in this window: not the engine's, so left out. Linux names threads in /proc; elsewhere 0.
    /// </summary>
    private static TimeSpan TieredCompilationCpu()
    {
        if (!Directory.Exists("/proc/self/task"))
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                int close = stat.LastIndexOf(')');
                string name = stat[(stat.IndexOf('(') + 1)..close];
                if (name.StartsWith(".NET Tiered", StringComparison.Ordinal))
                {
                    string[] fields = stat[(close + 2)..].Split(' '); // fields[11], [12]: utime, stime in clock ticks
                    ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }

        return TimeSpan.FromMilliseconds(ticks * 10.0); // USER_HZ is 100 on Linux
    }
}
