using SharpServe.Engine.Tests.TestSupport;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>
/// An independent implementation to compare against: Microsoft.ML.Tokenizers' byte-level BpeTokenizer
/// loaded from the shared vocab.json/merges.txt, split by .NET's Regex with the Qwen2 pattern, and the
/// distill's added tokens as special tokens. Callers NFC-normalize its input (it has no NFC step),
/// and keep to text whose letters and digits are in the BMP, where .NET's UTF-16 regex is exact.
/// </summary>
internal static partial class OracleTokenizer
{
    public static Tokenizer Create()
    {
        var added = DistillAddedTokensTable.Rows.ToDictionary(row => row.Content, row => row.Id);
        var options = new BpeOptions(RepoPaths.VocabJson, RepoPaths.MergesTxt)
        {
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Qwen2Pattern(), added),
            SpecialTokens = added,
        };
        return BpeTokenizer.Create(options);
    }

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Qwen2Pattern();
}
