using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Cli.Eval;

/// <summary>
/// A regression set: prompts with their sampling settings and, in a golden file, the output each must
/// produce. The cases file and the golden file share this shape; a cases file has no expected outputs.
/// </summary>
public sealed record RegressSet(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Generator,
    IReadOnlyList<RegressCase> Cases)
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // The prompts hold Chinese and emoji: keep them readable in the file rather than \uXXXX.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks a set; every problem is a <see cref="GoldenFileException"/> naming the file.</summary>
    public static RegressSet Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new GoldenFileException($"{path}: no such file");
        }

        RegressSet? set;
        try
        {
            set = JsonSerializer.Deserialize<RegressSet>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new GoldenFileException($"{path}: not a valid regression set: {e.Message}");
        }

        if (set?.Cases is not { Count: > 0 })
        {
            throw new GoldenFileException($"{path}: no cases");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (RegressCase item in set.Cases)
        {
            string? problem = item.Problem();
            if (problem is not null)
            {
                throw new GoldenFileException($"{path}: case '{item.Id}': {problem}");
            }

            if (!ids.Add(item.Id))
            {
                throw new GoldenFileException($"{path}: case id '{item.Id}' appears twice");
            }
        }

        return set;
    }

    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
    }
}

/// <summary>One prompt, sent as plain text to /v1/completions (no chat template, so every implementation tokenises the same text).</summary>
public sealed record RegressCase(
    string Id,
    string Prompt,
    int MaxTokens,
    CaseSampling Sampling,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? IgnoreEos = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ExpectedOutput? Expected = null)
{
    public bool IsGreedy => Sampling.Temperature == 0;

    internal string? Problem() => this switch
    {
        { Id: null or "" } => "an id is required",
        { Prompt: null or "" } => "a non-empty prompt is required",
        { MaxTokens: < 1 } => "max_tokens must be at least 1",
        { Sampling: null } => "sampling is required ({\"temperature\": 0} for greedy)",
        { Sampling.Temperature: < 0 } => "temperature must not be negative",
        { Sampling.Temperature: > 0, Sampling.Seed: null } => "a sampled case (temperature > 0) needs a seed to be reproducible",
        { Expected.Text: null } => "expected needs a text",
        _ => null,
    };
}

/// <summary>Temperature 0 is greedy; otherwise the seed makes the sampling reproducible on one server.</summary>
public sealed record CaseSampling(
    float Temperature,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? TopP = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TopK = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Seed = null);

/// <summary>
/// What the case must produce: the generated ids, each token's text (for servers that report only
/// logprobs token strings) and the whole text. <see cref="MinLogitMargin"/> is the generator's record of
/// the closest top-1/top-2 call it saw, kept for the reader; comparisons ignore it.
/// </summary>
public sealed record ExpectedOutput(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? TokenIds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Tokens,
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? MinLogitMargin = null);

/// <summary>A golden or cases file that is missing, malformed or inconsistent.</summary>
public sealed class GoldenFileException(string message) : Exception(message);
