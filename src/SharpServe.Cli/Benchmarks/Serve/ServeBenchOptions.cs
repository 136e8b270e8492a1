using System.CommandLine;
using System.Globalization;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary><c>sharpserve bench serve</c>'s flags, named as <c>vllm bench serve</c>'s so command lines carry over.</summary>
public sealed class ServeBenchOptions
{
    public Option<string> BaseUrl { get; } = new("--base-url") { Description = "Server to benchmark, e.g. http://127.0.0.1:8000 (any OpenAI-compatible server)", Required = true };
    public Option<string> Endpoint { get; } = new("--endpoint") { Description = "/v1/completions or /v1/chat/completions", DefaultValueFactory = _ => "/v1/completions" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model name sent in requests (default: the first id of GET /v1/models)" };
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "Bearer token (default: $OPENAI_API_KEY)" };
    public Option<string> DatasetName { get; } = new("--dataset-name") { Description = "random, sharegpt or prefix-repetition", DefaultValueFactory = _ => "random" };
    public Option<string?> DatasetPath { get; } = new("--dataset-path") { Description = "ShareGPT-style JSON file (for --dataset-name sharegpt)" };
    public Option<int> RandomInputLen { get; } = new("--random-input-len", "--input-len") { Description = "Prompt length in words (≈ tokens) of the random dataset", DefaultValueFactory = _ => 1024 };
    public Option<int> RandomOutputLen { get; } = new("--random-output-len", "--output-len") { Description = "Tokens to generate per request (random dataset)", DefaultValueFactory = _ => 128 };
    public Option<double> RandomRangeRatio { get; } = new("--random-range-ratio") { Description = "Lengths drawn from [len × (1 − r), len × (1 + r)], r in [0, 1)", DefaultValueFactory = _ => 0 };
    public Option<int> PrefixLen { get; } = new("--prefix-repetition-prefix-len") { Description = "Words of each shared prefix", DefaultValueFactory = _ => 256 };
    public Option<int> SuffixLen { get; } = new("--prefix-repetition-suffix-len") { Description = "Random words after the prefix", DefaultValueFactory = _ => 256 };
    public Option<int> NumPrefixes { get; } = new("--prefix-repetition-num-prefixes") { Description = "Distinct prefixes, shared evenly by the prompts", DefaultValueFactory = _ => 10 };
    public Option<int> PrefixOutputLen { get; } = new("--prefix-repetition-output-len") { Description = "Tokens to generate per request (prefix-repetition)", DefaultValueFactory = _ => 128 };
    public Option<int?> SharegptOutputLen { get; } = new("--sharegpt-output-len") { Description = "Tokens to generate per ShareGPT request (default: the reply's length, ≈ 4 characters a token)" };
    public Option<int> NumPrompts { get; } = new("--num-prompts") { Description = "Requests per run (per level of a sweep)", DefaultValueFactory = _ => 1000 };
    public Option<string> RequestRate { get; } = new("--request-rate") { Description = "Requests per second, arriving as a Poisson (or gamma) process; inf sends all at once", DefaultValueFactory = _ => "inf" };
    public Option<double> Burstiness { get; } = new("--burstiness") { Description = "Gamma shape of the arrival gaps: 1 = Poisson, < 1 burstier, > 1 steadier", DefaultValueFactory = _ => 1 };
    public Option<int?> MaxConcurrency { get; } = new("--max-concurrency") { Description = "Most requests in flight at once (default: no limit)" };
    public Option<string?> SweepConcurrency { get; } = new("--sweep-concurrency") { Description = "Comma-separated levels, e.g. 1,2,4,8: one run each with --max-concurrency = the level" };
    public Option<int> NumWarmups { get; } = new("--num-warmups") { Description = "Unmeasured requests before each run; a failing one stops the benchmark with its error", DefaultValueFactory = _ => 1 };
    public Option<bool> IgnoreEos { get; } = new("--ignore-eos") { Description = "Ask the server to ignore end-of-sequence, so every request generates its full output length" };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the prompts and the arrival times", DefaultValueFactory = _ => 0 };
    public Option<string?> ResultFile { get; } = new("--result-file") { Description = "Write the settings and every run's metrics to this JSON file" };
    public Option<string?> Plot { get; } = new("--plot") { Description = "Write a PNG chart: latency CDF of a single run, or latency percentiles and throughput per sweep level" };
    public Option<bool> DisableProgress { get; } = new("--disable-progress") { Description = "No live progress bar (it is also off when output is redirected)" };

    public IEnumerable<Option> All =>
    [
        BaseUrl, Endpoint, Model, ApiKey, DatasetName, DatasetPath, RandomInputLen, RandomOutputLen, RandomRangeRatio,
        PrefixLen, SuffixLen, NumPrefixes, PrefixOutputLen, SharegptOutputLen, NumPrompts, RequestRate, Burstiness,
        MaxConcurrency, SweepConcurrency, NumWarmups, IgnoreEos, Seed, ResultFile, Plot, DisableProgress,
    ];

    /// <summary>The flags, checked; a bad value is an <see cref="ArgumentException"/> naming the flag.</summary>
    public ServeBenchSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        int? maxConcurrency = parse.GetValue(MaxConcurrency);
        int[]? sweep = parse.GetValue(SweepConcurrency) is { } text ? ParseLevels(text) : null;
        if (sweep is not null && maxConcurrency is not null)
        {
            throw new ArgumentException("--sweep-concurrency sets each run's --max-concurrency; pass one of them");
        }

        string endpoint = parse.GetValue(Endpoint)!;
        if (!endpoint.StartsWith('/'))
        {
            throw new ArgumentException($"--endpoint must be a path such as /v1/completions, got '{endpoint}'");
        }

        int? sharegptOutput = parse.GetValue(SharegptOutputLen);
        return new ServeBenchSettings(
            parse.GetValue(BaseUrl)!,
            endpoint,
            parse.GetValue(Model),
            parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
            parse.GetValue(DatasetName)!,
            parse.GetValue(DatasetPath),
            AtLeast(parse.GetValue(RandomInputLen), 1, "--random-input-len"),
            AtLeast(parse.GetValue(RandomOutputLen), 1, "--random-output-len"),
            parse.GetValue(RandomRangeRatio),
            AtLeast(parse.GetValue(PrefixLen), 1, "--prefix-repetition-prefix-len"),
            AtLeast(parse.GetValue(SuffixLen), 0, "--prefix-repetition-suffix-len"),
            AtLeast(parse.GetValue(NumPrefixes), 1, "--prefix-repetition-num-prefixes"),
            AtLeast(parse.GetValue(PrefixOutputLen), 1, "--prefix-repetition-output-len"),
            sharegptOutput is { } s ? AtLeast(s, 1, "--sharegpt-output-len") : null,
            AtLeast(parse.GetValue(NumPrompts), 1, "--num-prompts"),
            ParseRate(parse.GetValue(RequestRate)!),
            parse.GetValue(Burstiness),
            maxConcurrency is { } m ? AtLeast(m, 1, "--max-concurrency") : null,
            sweep,
            AtLeast(parse.GetValue(NumWarmups), 0, "--num-warmups"),
            parse.GetValue(IgnoreEos),
            parse.GetValue(Seed),
            parse.GetValue(ResultFile),
            parse.GetValue(Plot),
            parse.GetValue(DisableProgress));
    }

    private static int AtLeast(int value, int minimum, string flag) =>
        value >= minimum ? value : throw new ArgumentException($"{flag} must be at least {minimum}, got {value}");

    private static double ParseRate(string text) =>
        text.Equals("inf", StringComparison.OrdinalIgnoreCase) ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) && rate > 0 && double.IsFinite(rate) ? rate
        : throw new ArgumentException($"--request-rate must be a positive number or inf, got '{text}'");

    private static int[] ParseLevels(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0
            ? throw new ArgumentException("--sweep-concurrency: no levels given")
            : [.. parts.Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int level) && level > 0
                ? level
                : throw new ArgumentException($"--sweep-concurrency: '{part}' is not a positive integer"))];
    }
}
