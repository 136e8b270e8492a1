using System.CommandLine;
using SharpServe.Cli.Eval;

namespace SharpServe.Cli.Commands;

/// <summary>
/// <c>sharpserve eval regress</c>: runs a committed prompt set against a server and compares its outputs token
/// for token with a golden file (exit 1 and a diff on any change), or rewrites the golden with <c>--update</c>.
/// </summary>
internal static class EvalCommand
{
    private const int Changed = 1;
    private const int UsageOrConnection = 2;

    public static Command Build()
    {
        // Required by hand rather than by the parser: a missing option is a usage error, exit 2 like the others.
        var baseUrl = new Option<string?>("--base-url") { Description = "The server's OpenAI API root, e.g. http://127.0.0.1:8000/v1 (required)" };
        var golden = new Option<string?>("--golden") { Description = "The golden file (JSON): the cases and their expected outputs (required)" };
        var update = new Option<bool>("--update") { Description = "Rerun every case and rewrite the expected outputs (the cases are kept), printing what changed" };
        var apiKey = new Option<string?>("--api-key") { Description = "Sent as 'Authorization: Bearer KEY' (default: $OPENAI_API_KEY, else $SHARPSERVE_API_KEY)" };
        var model = new Option<string?>("--model") { Description = "Model name (default: the first the server lists)" };
        var concurrency = new Option<int>("--concurrency") { Description = "Cases in flight at once", DefaultValueFactory = _ => 4 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for one case's reply", DefaultValueFactory = _ => 300 };
        var regress = new Command("regress", "Compare a server's outputs on a prompt set with a golden file, token for token")
        {
            baseUrl, golden, update, apiKey, model, concurrency, timeout,
        };
        regress.SetAction(parse => RunAsync(
            parse.GetValue(baseUrl),
            parse.GetValue(golden),
            parse.GetValue(update),
            parse.GetValue(apiKey) ?? DefaultApiKey(),
            parse.GetValue(model),
            parse.GetValue(concurrency),
            parse.GetValue(timeout)).GetAwaiter().GetResult());
        return new Command("eval", "Evaluation tools") { regress };
    }

    private static async Task<int> RunAsync(string? baseUrl, string? goldenPath, bool update, string? apiKey, string? model, int concurrency, int timeoutSeconds)
    {
        try
        {
            if (baseUrl is null || goldenPath is null)
            {
                throw new ArgumentException("eval regress needs --base-url URL and --golden FILE");
            }

            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? root) || root.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"--base-url: '{baseUrl}' is not an absolute http(s) URL");
            }

            if (concurrency < 1 || timeoutSeconds < 1)
            {
                throw new ArgumentException("--concurrency and --timeout must be at least 1");
            }

            RegressSet set = RegressSet.Load(goldenPath);
            if (!update && set.Cases.FirstOrDefault(item => item.Expected is null) is { } bare)
            {
                throw new GoldenFileException($"{goldenPath}: case '{bare.Id}' has no expected output; run with --update to write it");
            }

            using HttpClient http = CompletionClient.CreateHttp(apiKey, TimeSpan.FromSeconds(timeoutSeconds));
            var client = new CompletionClient(http, baseUrl);
            string served = model ?? await client.FirstModelAsync(CancellationToken.None);
            Console.WriteLine($"eval regress: {set.Cases.Count} cases from {goldenPath} against {baseUrl} (model {served})");
            IReadOnlyList<CaseOutput> outputs = await new RegressRunner(client, served, concurrency).RunAsync(set.Cases, CancellationToken.None);
            return update ? Update(set, outputs, goldenPath) : Compare(set, outputs);
        }
        catch (Exception e) when (e is ArgumentException or GoldenFileException or RegressConnectionException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UsageOrConnection;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"error: the server's reply is not shaped like an OpenAI completion: {e.Message}");
            return UsageOrConnection;
        }
    }

    private static int Compare(RegressSet set, IReadOnlyList<CaseOutput> outputs)
    {
        var printer = new DiffPrinter(Console.Out);
        var comparisons = new List<CaseComparison>();
        for (int i = 0; i < set.Cases.Count; i++)
        {
            comparisons.Add(CaseComparison.Compare(set.Cases[i], outputs[i]));
            printer.Case(comparisons[^1]);
        }

        printer.Summary(comparisons);
        return comparisons.Any(comparison => comparison.Changed) ? Changed : 0;
    }

    /// <summary>Writes every case's new output; cases that had one are compared first, so the log says what moved.</summary>
    private static int Update(RegressSet set, IReadOnlyList<CaseOutput> outputs, string goldenPath)
    {
        var printer = new DiffPrinter(Console.Out);
        var cases = new List<RegressCase>();
        int changed = 0;
        for (int i = 0; i < set.Cases.Count; i++)
        {
            RegressCase item = set.Cases[i];
            if (item.Expected is null)
            {
                Console.WriteLine($"new     {item.Id}");
                changed++;
            }
            else
            {
                var comparison = CaseComparison.Compare(item, outputs[i]);
                printer.Case(comparison);
                changed += comparison.Changed ? 1 : 0;
            }

            cases.Add(item with { Expected = new ExpectedOutput(outputs[i].TokenIds, outputs[i].Tokens, outputs[i].Text) });
        }

        (set with { Cases = cases }).Save(goldenPath);
        Console.WriteLine($"updated {goldenPath}: {changed} of {set.Cases.Count} cases new or changed");
        return 0;
    }

    private static string? DefaultApiKey() =>
        Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } openAi ? openAi
        : Environment.GetEnvironmentVariable("SHARPSERVE_API_KEY") is { Length: > 0 } ours ? ours
        : null;
}
