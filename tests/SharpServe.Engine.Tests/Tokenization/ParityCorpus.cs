using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>
/// The committed parity corpus (Parity/corpus.jsonl) and the ids transformers.js gave for it
/// (Parity/goldens.transformersjs.jsonl), both written by tools/tokenizer-goldens/generate.mjs.
/// Corpus lines are JSON strings read by <see cref="ParseJsonString"/>, because System.Text.Json
/// refuses the lone-surrogate escapes (\ud800) the corpus keeps on purpose.
/// </summary>
internal sealed class ParityCorpus
{
    private static readonly Lazy<ParityCorpus> Instance = new(Load);

    private ParityCorpus(IReadOnlyList<string> texts, IReadOnlyList<int[]> goldens, JsonElement meta)
    {
        Texts = texts;
        TransformersJsIds = goldens;
        TransformersJsMeta = meta;
    }

    public static ParityCorpus Shared => Instance.Value;

    public static string Directory => Path.Combine(RepoPaths.Root, "tests", "SharpServe.Engine.Tests", "Tokenization", "Parity");

    public IReadOnlyList<string> Texts { get; }

    /// <summary>Ids from transformers.js, one array per entry of <see cref="Texts"/>.</summary>
    public IReadOnlyList<int[]> TransformersJsIds { get; }

    /// <summary>First line of the golden file: oracle, versions, line count, corpus_sha256.</summary>
    public JsonElement TransformersJsMeta { get; }

    /// <summary>SHA-256 (hex) of the corpus lines joined by '\n', as generate.mjs computes it.</summary>
    public string CorpusSha256 { get; private init; } = "";

    /// <summary>
    /// Reads one JSON string literal, keeping \uD800-style escapes of lone surrogates as they are.
    /// </summary>
    public static string ParseJsonString(string line)
    {
        if (line.Length < 2 || line[0] != '"' || line[^1] != '"')
        {
            throw new FormatException($"not a JSON string: {line[..Math.Min(line.Length, 40)]}");
        }

        var builder = new StringBuilder(line.Length);
        for (int i = 1; i < line.Length - 1; i++)
        {
            char c = line[i];
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            char escape = line[++i];
            switch (escape)
            {
                case '"' or '\\' or '/':
                    builder.Append(escape);
                    break;
                case 'b':
                    builder.Append('\b');
                    break;
                case 'f':
                    builder.Append('\f');
                    break;
                case 'n':
                    builder.Append('\n');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case 'u':
                    builder.Append((char)int.Parse(line.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default:
                    throw new FormatException($"bad escape \\{escape}");
            }
        }

        return builder.ToString();
    }

    private static ParityCorpus Load()
    {
        string[] corpusLines = File.ReadAllLines(Path.Combine(Directory, "corpus.jsonl"), Encoding.UTF8);
        string[] goldenLines = File.ReadAllLines(Path.Combine(Directory, "goldens.transformersjs.jsonl"), Encoding.UTF8);
        using var meta = JsonDocument.Parse(goldenLines[0]);
        string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', corpusLines))));
        return new ParityCorpus(
            corpusLines.Select(ParseJsonString).ToArray(),
            goldenLines.Skip(1).Select(line => JsonSerializer.Deserialize<int[]>(line)!).ToArray(),
            meta.RootElement.Clone())
        {
            CorpusSha256 = sha,
        };
    }
}
