using System.Text.Json;

namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// ShareGPT-style conversations (a JSON array of objects with <c>conversations: [{from, value}]</c>): the
/// first human turn is the prompt and the gpt turn after it sets the output length, as in vLLM. Lacking the
/// server's tokenizer, the reply's length in tokens is estimated as one token per 4 characters (OpenAI's rule
/// of thumb) unless --sharegpt-output-len fixes it.
/// </summary>
public static class ShareGptDataset
{
    private const int CharsPerToken = 4;

    /// <summary><paramref name="count"/> prompts from the file, in an order shuffled by <paramref name="random"/>; conversations are reused when the file has fewer.</summary>
    public static IReadOnlyList<BenchPrompt> Load(string path, int count, int? outputLen, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        List<BenchPrompt> usable = Parse(path, outputLen);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(usable));
        return [.. Enumerable.Range(0, count).Select(i => usable[i % usable.Count])];
    }

    /// <summary>Every conversation of the file with a human turn followed by a gpt turn, in file order.</summary>
    public static List<BenchPrompt> Parse(string path, int? outputLen)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"--dataset-path: {path} does not exist");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--dataset-path: {path} is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ArgumentException($"--dataset-path: {path} must hold a JSON array of {{\"conversations\": [{{\"from\", \"value\"}}]}} objects");
            }

            var prompts = new List<BenchPrompt>();
            foreach (JsonElement entry in document.RootElement.EnumerateArray())
            {
                if (FirstExchange(entry) is var (prompt, reply))
                {
                    int output = outputLen ?? Math.Max(1, (reply.Length + CharsPerToken - 1) / CharsPerToken);
                    prompts.Add(new BenchPrompt(prompt, prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length, output));
                }
            }

            return prompts.Count > 0
                ? prompts
                : throw new ArgumentException($"--dataset-path: {path} has no conversation with a human turn followed by a gpt turn");
        }
    }

    private static (string Prompt, string Reply)? FirstExchange(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("conversations", out JsonElement turns)
            || turns.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? prompt = null;
        foreach (JsonElement turn in turns.EnumerateArray())
        {
            if (turn.ValueKind != JsonValueKind.Object
                || !turn.TryGetProperty("from", out JsonElement from) || from.ValueKind != JsonValueKind.String
                || !turn.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            string speaker = from.GetString()!;
            if (prompt is null && speaker == "human")
            {
                prompt = value.GetString()!;
            }
            else if (prompt is not null && speaker == "gpt")
            {
                return prompt.Length > 0 ? (prompt, value.GetString()!) : null;
            }
        }

        return null;
    }
}
