using System.Text.Json;
using SharpServe.Cli.Benchmarks.Serve;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

public sealed class ServeBenchRunTests
{
    [Fact]
    public async Task WarmUpsAndLevels_NeverSendTheSamePromptTwice()
    {
        // A prefix-caching server would answer a repeated prompt from its cache and make the later level look faster.
        using var server = FakeSseServer.Start(TimeSpan.Zero, TimeSpan.Zero, chunks: 2, usageTokens: 2);
        var settings = new ServeBenchSettings(
            server.Url, "/v1/completions", "m", null, "random", null, RandomInputLen: 24, RandomOutputLen: 2,
            RandomRangeRatio: 0, 256, 256, 10, 128, null, NumPrompts: 3, RequestRate: double.PositiveInfinity, Burstiness: 1,
            MaxConcurrency: null, SweepConcurrency: [1, 2], NumWarmups: 1, IgnoreEos: true, Seed: 0, null, null, DisableProgress: true);

        int exit = await ServeBenchRun.RunAsync(settings, TextWriter.Null, TextWriter.Null, CancellationToken.None);

        Assert.Equal(0, exit);
        string[] prompts = [.. server.Bodies.Select(body => JsonDocument.Parse(body).RootElement.GetProperty("prompt").GetString()!)];
        Assert.Equal(2 * (1 + 3), prompts.Length);
        Assert.Equal(prompts.Length, prompts.Distinct().Count());
    }
}
