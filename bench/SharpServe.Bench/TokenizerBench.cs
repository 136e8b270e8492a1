using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.ML.Tokenizers;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Bench;

/// <summary>
/// Encode throughput, single thread, of SharpServe's tokenizer against Microsoft.ML.Tokenizers'
/// byte-level BPE on the same mixed English/Chinese/code text, in one BenchmarkDotNet run; plus the
/// time to encode a ~4K-token prompt. Both tokenizers use the shared Qwen2.5 vocabulary and merges.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public partial class TokenizerBench
{
    private Qwen2Tokenizer _ours = null!;
    private Tokenizer _theirs = null!;
    private string _corpus = "";
    private string _prompt4K = "";

    private const int CorpusCharacters = 1 << 20;

    /// <summary>Runs the benchmark, then turns the medians of the 1 MB cases into MB/s.</summary>
    public static int Run(string[] args)
    {
        var summary = BenchmarkRunner.Run<TokenizerBench>(args: args);
        double megabytes = Encoding.UTF8.GetByteCount(MixedCorpus(CorpusCharacters)) / 1e6;
        foreach (var report in summary.Reports)
        {
            if (report.ResultStatistics is { } statistics)
            {
                string name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo;
                double ms = statistics.Median / 1e6;
                Console.WriteLine(name.Contains("1 MB", StringComparison.Ordinal)
                    ? $"{name}: median {ms:F1} ms = {megabytes / (ms / 1e3):F1} MB/s"
                    : $"{name}: median {ms:F2} ms");
            }
        }

        return summary.HasCriticalValidationErrors ? 1 : 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        string shared = SharedTokenizerDirectory();
        var spec = DistillTokenizer.Build(Path.Combine(shared, "qwen3-tokenizer.json"), 151936);
        _ours = new Qwen2Tokenizer(spec);
        var added = Enumerable.Range(0, spec.Tokens.Count)
            .Where(id => spec.Kinds[id] is TokenKind.Control or TokenKind.UserDefined)
            .ToDictionary(id => spec.Tokens[id], id => id);
        _theirs = BpeTokenizer.Create(new BpeOptions(Path.Combine(shared, "vocab.json"), Path.Combine(shared, "merges.txt"))
        {
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Qwen2Pattern(), added),
            SpecialTokens = added,
        });
        _corpus = MixedCorpus(CorpusCharacters);
        _prompt4K = MixedCorpus(12_000); // ≈ 4K tokens of mixed text
    }

    [Benchmark(Baseline = true, Description = "Microsoft.ML.Tokenizers, 1 MB")]
    public int MlTokenizers() => _theirs.EncodeToIds(_corpus).Count;

    [Benchmark(Description = "SharpServe, 1 MB")]
    public int SharpServe() => _ours.Encode(_corpus, addSpecialTokens: false).Length;

    [Benchmark(Description = "SharpServe, 4K-token prompt")]
    public int SharpServePrompt4K() => _ours.Encode(_prompt4K, addSpecialTokens: true).Length;

    /// <summary>English prose, Chinese prose and C# code in turn, with a counter so words do not repeat exactly (no unfair cache hits).</summary>
    private static string MixedCorpus(int characters)
    {
        string[] parts =
        [
            "The quick brown fox jumps over the lazy dog while the committee's report, published on {0} March, argued that memory bandwidth—not arithmetic—limits decoding. ",
            "人工智能的发展历史可以追溯到二十世纪五十年代，第{0}次浪潮中研究者们提出了神经网络与深度学习的方法。",
            "public static int Compute{0}(ReadOnlySpan<float> values) {{ var sum = 0f; foreach (var v in values) {{ sum += v * {0}; }} return (int)sum; }}\n",
        ];
        var builder = new StringBuilder(characters + 256);
        for (int i = 0; builder.Length < characters; i++)
        {
            builder.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, parts[i % parts.Length], i);
        }

        return builder.ToString(0, characters);
    }

    // BenchmarkDotNet runs the cases in a child process whose working directory is its build output,
    // so this source file's compile-time location is searched as well.
    private static string SharedTokenizerDirectory([CallerFilePath] string sourceFile = "")
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), Path.GetDirectoryName(sourceFile)! })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SharpServe.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models", "qwen2-tokenizer"));
                }
            }
        }

        throw new InvalidOperationException($"SharpServe.sln not found above {Directory.GetCurrentDirectory()} or {sourceFile}");
    }

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Qwen2Pattern();
}
