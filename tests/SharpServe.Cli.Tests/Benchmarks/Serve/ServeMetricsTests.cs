using SharpServe.Cli.Benchmarks.Serve;

namespace SharpServe.Cli.Tests.Benchmarks.Serve;

/// <summary>
/// The client's timing against a server with known delays. Delays never fire early, so each measured time is
/// at least its configured delay; the upper bounds are loose, for a heavily loaded 2-core machine.
/// </summary>
public sealed class ServeMetricsTests
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(120);
    private const int Chunks = 5;

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task Ttft_itl_tpot_and_e2e_follow_the_server_timing(string endpoint)
    {
        using var server = FakeSseServer.Start(First, Gap, Chunks, usageTokens: 2 * Chunks);
        using var http = new HttpClient();
        var client = new OpenAiStreamClient(http, server.Url, endpoint, "m", apiKey: null, ignoreEos: true);

        ServeRequestResult result = await client.SendAsync(new BenchPrompt("hello there", 2, 10), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        // .NET's timers tick at about 1 ms and may fire a little early, so the bounds allow a few ms below the delays.
        Assert.InRange(result.TtftMs, First.TotalMilliseconds - 15, First.TotalMilliseconds + 3000);
        Assert.Equal(Chunks - 1, result.ItlMs.Count);
        // One gap may shrink if the chunk before it arrived late, but together they span (chunks − 1) gaps.
        Assert.InRange(result.ItlMs.Sum(), ((Chunks - 1) * Gap.TotalMilliseconds) - 20, ((Chunks - 1) * Gap.TotalMilliseconds) + 3000);
        Assert.Equal(2 * Chunks, result.OutputTokens); // from usage, not the chunk count
        Assert.Equal(FakeSseServer.PromptTokens, result.PromptTokens);
        Assert.InRange(result.E2eMs, result.TtftMs + result.ItlMs.Sum(), result.TtftMs + result.ItlMs.Sum() + 3000);
        Assert.Equal((result.E2eMs - result.TtftMs) / (2 * Chunks - 1), result.TpotMs!.Value, 9);
    }

    [Fact]
    public async Task Without_usage_the_output_tokens_are_the_text_chunks()
    {
        using var server = FakeSseServer.Start(TimeSpan.Zero, TimeSpan.FromMilliseconds(5), 4, usageTokens: 99, sendUsage: false);
        using var http = new HttpClient();
        var client = new OpenAiStreamClient(http, server.Url, "/v1/completions", "m", null, false);

        ServeRequestResult result = await client.SendAsync(new BenchPrompt("hi", 1, 4), CancellationToken.None);

        Assert.True(result.Success, result.Error);
        Assert.Equal(4, result.OutputTokens);
    }

    [Fact]
    public async Task A_server_error_counts_as_failed_and_the_level_reports_it()
    {
        using var server = FakeSseServer.Start(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(40), Chunks, usageTokens: Chunks);
        using var http = new HttpClient();
        var client = new OpenAiStreamClient(http, server.Url, "/v1/completions", "m", null, false);
        BenchPrompt[] prompts = [new("a", 1, 5), new("please fail", 2, 5), new("b", 1, 5), new("c", 1, 5)];

        ServeRun run = await ServeBenchDriver.RunAsync(prompts, new double[4], 2, client.SendAsync, null, TimeProvider.System, CancellationToken.None);
        ServeLevelResult level = ServeLevelResult.From(2, run);

        Assert.Equal(3, level.Completed);
        Assert.Equal(1, level.Failed);
        Assert.Contains(level.Errors, e => e.Contains("HTTP 500", StringComparison.Ordinal) && e.Contains("boom", StringComparison.Ordinal));
        Assert.Equal(3 * Chunks, level.TotalOutputTokens);
        Assert.Equal(3 * FakeSseServer.PromptTokens, level.TotalInputTokens);
        Assert.InRange(level.Itl.MeanMs, 30, 3000); // timers may fire a few ms early
        Assert.InRange(level.Ttft.MedianMs, 40, 3050);
        Assert.Equal(level.OutputThroughput, level.TotalOutputTokens / level.DurationS, 9);
        Assert.Equal(level.RequestThroughput, 3 / level.DurationS, 9);
        Assert.Equal(level.TotalTokenThroughput, (level.TotalInputTokens + level.TotalOutputTokens) / level.DurationS, 9);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_failed_request_not_a_crash()
    {
        using var http = new HttpClient();
        var client = new OpenAiStreamClient(http, $"http://127.0.0.1:{ServeProcess.FreePort()}", "/v1/completions", "m", null, false);

        ServeRequestResult result = await client.SendAsync(new BenchPrompt("hi", 1, 4), CancellationToken.None);

        Assert.False(result.Success);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }

    [Fact]
    public void Percentiles_come_within_a_tenth_of_a_percent_of_the_order_statistics()
    {
        double[] samples = [.. Enumerable.Range(1, 1000).Select(i => i * 1.5)]; // 1.5 … 1500 ms

        LatencySummary summary = LatencySummary.From(samples);

        Assert.Equal(samples.Average(), summary.MeanMs, 9);
        Assert.Equal(750, summary.MedianMs, 750 * 0.001);
        Assert.Equal(1350, summary.P90Ms, 1350 * 0.001);
        Assert.Equal(1485, summary.P99Ms, 1485 * 0.001);
        Assert.True(double.IsNaN(LatencySummary.From([]).MedianMs));
    }
}
