using System.Text.Json.Nodes;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Cli.Tests.Eval;

/// <summary><c>sharpserve eval regress</c> against a real server of the embedded default model, a token-string-only fake server, and bad input.</summary>
public sealed class EvalRegressTests(ServeFixture server) : IClassFixture<ServeFixture>, IDisposable
{
    private static readonly string CommittedGolden = Path.Combine(RepoPaths.Root, "eval", "regress", "sharpserve-tiny.golden.json");

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-eval-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The CI check: the engine through the whole server gives llama.cpp's greedy ids on every committed case.</summary>
    [Fact]
    public void CommittedGolden_FromLlamaCpp_MatchesTheServer_AtTheTokenIdLevel()
    {
        JsonArray cases = Load(CommittedGolden)["cases"]!.AsArray();

        var result = Regress("--golden", CommittedGolden);

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Contains($"all {cases.Count} cases equal ({cases.Count} at the token-id level)", result.Stdout, StringComparison.Ordinal);
        Assert.True(cases.Count >= 8, $"{cases.Count} cases");
    }

    [Fact]
    public void OneChangedExpectedToken_Exits1_AndTheDiffNamesCasePositionExpectedAndGot()
    {
        JsonNode golden = Load(CommittedGolden);
        JsonNode target = golden["cases"]![2]!;
        JsonArray ids = target["expected"]!["token_ids"]!.AsArray();
        int real = ids[5]!.GetValue<int>();
        ids[5] = real + 1;
        string path = Save(golden, "changed.json");

        var result = Regress("--golden", path);

        Assert.True(result.ExitCode == 1, result.Stdout + result.Stderr);
        string id = target["id"]!.GetValue<string>();
        Assert.Contains($"CHANGED {id} (token-id", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"first difference at token 5: expected {real + 1}, got {real}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"1 of {golden["cases"]!.AsArray().Count} cases changed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("expected text", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Seeded sampling cannot come from llama.cpp, so --update writes it; the same seed reproduces it, another seed does not.</summary>
    [Fact]
    public void SeededCase_WrittenByUpdate_ComparesEqual_AndAnotherSeedChangesIt()
    {
        string path = Path.Combine(_folder, "seeded.json");
        File.WriteAllText(path, """{"cases":[{"id":"seeded","prompt":"Once upon a time","max_tokens":24,"sampling":{"temperature":0.8,"seed":7}}]}""");

        var update = Regress("--golden", path, "--update");
        Assert.True(update.ExitCode == 0, update.Stdout + update.Stderr);
        Assert.Contains("new     seeded", update.Stdout, StringComparison.Ordinal);
        Assert.Equal(24, Load(path)["cases"]![0]!["expected"]!["token_ids"]!.AsArray().Count);

        var same = Regress("--golden", path);
        Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
        Assert.Contains("all 1 cases equal (1 at the token-id level)", same.Stdout, StringComparison.Ordinal);

        JsonNode golden = Load(path);
        golden["cases"]![0]!["sampling"]!["seed"] = 8;
        File.WriteAllText(path, golden.ToJsonString());
        var other = Regress("--golden", path);
        Assert.True(other.ExitCode == 1, other.Stdout + other.Stderr);
        Assert.Contains("CHANGED seeded", other.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 of 1 cases changed", other.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerWithoutTokenIds_IsComparedByLogprobsTokenStrings()
    {
        using var fake = new TokenStringOnlyServer();
        string path = Path.Combine(_folder, "strings.json");
        File.WriteAllText(path, """
            {"cases":[
              {"id":"same","prompt":"Hi","max_tokens":2,"sampling":{"temperature":0},"expected":{"token_ids":[1,2],"tokens":["Hello"," world"],"text":"Hello world"}},
              {"id":"moved","prompt":"Hi","max_tokens":2,"sampling":{"temperature":0},"expected":{"token_ids":[1,3],"tokens":["Hello"," there"],"text":"Hello there"}}
            ]}
            """);

        var result = CliRunner.Run("eval", "regress", "--base-url", fake.Url, "--golden", path);

        Assert.True(result.ExitCode == 1, result.Stdout + result.Stderr);
        Assert.Contains("equal   same (token-string, 2 tokens)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("CHANGED moved (token-string, 2 tokens)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("first difference at token 1: expected \" there\", got \" world\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 of 2 cases changed (2 at the token-string level)", result.Stdout, StringComparison.Ordinal);
        // The request asked for ids and one logprob per token, and named the model the server listed first.
        JsonNode sent = JsonNode.Parse(fake.CompletionBodies[0])!;
        Assert.True(sent["return_token_ids"]!.GetValue<bool>());
        Assert.Equal(1, sent["logprobs"]!.GetValue<int>());
        Assert.Equal("other", sent["model"]!.GetValue<string>());
    }

    [Fact]
    public void MissingOrMalformedGolden_OrUnreachableServer_Exits2WithAClearMessage()
    {
        var missing = Regress("--golden", Path.Combine(_folder, "absent.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("absent.json: no such file", missing.Stderr, StringComparison.Ordinal);

        string malformed = Path.Combine(_folder, "malformed.json");
        File.WriteAllText(malformed, """{"cases":[{"id":"x","prompt":"Hi","max_tokens":2,"sampling":{"temperature":0}""");
        var bad = Regress("--golden", malformed);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("malformed.json: not a valid regression set", bad.Stderr, StringComparison.Ordinal);

        string noExpected = Path.Combine(_folder, "bare.json");
        File.WriteAllText(noExpected, """{"cases":[{"id":"bare","prompt":"Hi","max_tokens":2,"sampling":{"temperature":0}}]}""");
        var bare = Regress("--golden", noExpected);
        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("case 'bare' has no expected output; run with --update", bare.Stderr, StringComparison.Ordinal);

        var unreachable = CliRunner.Run("eval", "regress", "--base-url", $"http://127.0.0.1:{ServeProcess.FreePort()}/v1", "--golden", CommittedGolden);
        Assert.Equal(2, unreachable.ExitCode);
        Assert.Contains("error: cannot reach http://127.0.0.1:", unreachable.Stderr, StringComparison.Ordinal);

        var usage = CliRunner.Run("eval", "regress", "--golden", CommittedGolden);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("needs --base-url URL and --golden FILE", usage.Stderr, StringComparison.Ordinal);
    }

    private CliRunner.Result Regress(params string[] args) => CliRunner.Run(["eval", "regress", "--base-url", server.BaseUrl, .. args]);

    private static JsonNode Load(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    private string Save(JsonNode node, string name)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }
}
