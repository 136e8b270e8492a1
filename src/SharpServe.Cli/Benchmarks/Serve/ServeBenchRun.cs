namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// The whole benchmark: the model name, then per level (one, or each of a sweep) warm-up requests, the
/// measured run on the arrival schedule, and its report; finally the JSON result file and the chart.
/// Warm-ups and levels draw fresh prompts (and arrival times) one after another from the seed: a server with
/// prefix caching would otherwise answer a level's prompts from the cache that the warm-up or an earlier level filled,
/// and later levels would look faster than they are. The whole run stays reproducible from the seed.
/// </summary>
public static class ServeBenchRun
{
    /// <returns>The exit code: 1 when some run completed no request at all.</returns>
    public static async Task<int> RunAsync(ServeBenchSettings settings, TextWriter report, TextWriter log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(log);
        settings.Prompts(new Random(settings.Seed)); // a bad dataset is reported before any request is sent
        using var http = new HttpClient { Timeout = TimeSpan.FromHours(6) };
        string model = settings.Model ?? await OpenAiStreamClient.FirstModelAsync(http, settings.BaseUrl, settings.ApiKey, cancellation).ConfigureAwait(false);
        var client = new OpenAiStreamClient(http, settings.BaseUrl, settings.Endpoint, model, settings.ApiKey, settings.IgnoreEos);
        log.WriteLine($"bench serve: {settings.BaseUrl}{settings.Endpoint}, model {model}, dataset {settings.DatasetName}, {settings.NumPrompts} prompts per run");
        var levels = new List<ServeLevelResult>();
        var random = new Random(settings.Seed);
        foreach (int? concurrency in settings.Levels)
        {
            IReadOnlyList<BenchPrompt> warmups = settings.Prompts(random);
            IReadOnlyList<BenchPrompt> prompts = settings.Prompts(random);
            double[] gaps = ArrivalSchedule.Gaps(prompts.Count, settings.RequestRate, settings.Burstiness, random);
            await WarmUpAsync(client, warmups, settings.NumWarmups, concurrency, log, cancellation).ConfigureAwait(false);
            string label = concurrency is { } c ? $"max concurrency {c}" : "requests";
            ServeRun run = await BenchProgress.RunAsync(!settings.DisableProgress, label, prompts.Count, tick =>
                ServeBenchDriver.RunAsync(prompts, gaps, concurrency, client.SendAsync, tick, TimeProvider.System, cancellation)).ConfigureAwait(false);
            ServeLevelResult result = ServeLevelResult.From(concurrency, run);
            levels.Add(result);
            foreach (string line in ServeReport.Block(result, settings.RequestRate))
            {
                report.WriteLine(line);
            }
        }

        if (levels.Count > 1)
        {
            foreach (string line in ServeReport.SweepTable(levels))
            {
                report.WriteLine(line);
            }
        }

        if (settings.ResultFile is { } resultFile)
        {
            BenchmarkJson.Write(resultFile, new { model, settings, levels });
        }

        if (settings.Plot is { } plot)
        {
            ServeBenchChart.Write(plot, levels, $"bench serve: {model}, {settings.DatasetName} dataset");
        }

        return levels.Any(l => l.Completed == 0) ? 1 : 0;
    }

    private static async Task WarmUpAsync(OpenAiStreamClient client, IReadOnlyList<BenchPrompt> prompts, int count, int? concurrency, TextWriter log, CancellationToken cancellation)
    {
        if (count == 0)
        {
            return;
        }

        BenchPrompt[] warmups = [.. Enumerable.Range(0, count).Select(i => prompts[i % prompts.Count])];
        ServeRun run = await ServeBenchDriver.RunAsync(warmups, new double[count], concurrency, client.SendAsync, null, TimeProvider.System, cancellation).ConfigureAwait(false);
        if (run.Results.FirstOrDefault(r => !r.Success) is { } failed)
        {
            throw new InvalidOperationException($"a warm-up request failed: {failed.Error}");
        }

        log.WriteLine($"warm-up: {count} request(s) in {run.Duration.TotalSeconds:F2} s");
    }
}
