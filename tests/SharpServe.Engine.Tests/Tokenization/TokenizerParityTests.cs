using System.Text;
using LLama;
using LLama.Common;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>
/// Our encoder against two implementations that are not ours, on the committed parity corpus
/// (Parity/corpus.jsonl, 2,400 short strings + 3 documents of 100 KB or more):
/// transformers.js (golden ids written once by tools/tokenizer-goldens/generate.mjs) and
/// llama.cpp's tokenizer (through LLamaSharp, run here on a GGUF carrying the distill tokenizer).
/// </summary>
[Collection(DistillTokenizerCollection.Name)]
public sealed class TokenizerParityTests(DistillTokenizerFixture fixture)
{
    private static ParityCorpus Corpus => ParityCorpus.Shared;

    [Fact]
    public void CorpusCoversTheRequiredCases()
    {
        var texts = Corpus.Texts;
        Assert.True(texts.Count >= 2000, $"only {texts.Count} strings");
        Assert.Contains("请用中文介绍一下人工智能的发展历史", texts);
        Assert.Contains("写两首关于秋天的五言绝句", texts);
        Assert.True(texts.Count(t => Encoding.UTF8.GetByteCount(t) >= 100_000) >= 3, "fewer than 3 documents of 100 KB");
        Assert.True(texts.Count(t => !IsWellFormed(t)) >= 50, "too few strings with lone surrogates");
        Assert.True(texts.Count(t => t.Contains("\r\n", StringComparison.Ordinal)) >= 50, "too few strings with \\r\\n");
        Assert.True(texts.Count(t => t.Contains("\u200d", StringComparison.Ordinal)) >= 50, "too few ZWJ sequences");
        foreach (string added in new[] { "<think>", "</think>", "<｜User｜>", "<｜Assistant｜>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>" })
        {
            Assert.True(texts.Count(t => t.Contains(added, StringComparison.Ordinal)) >= 20, $"too few strings containing {added}");
        }
    }

    [Fact]
    public void GoldenFileBelongsToThisCorpus()
    {
        Assert.Equal(Corpus.Texts.Count, Corpus.TransformersJsIds.Count);
        Assert.Equal(Corpus.Texts.Count, Corpus.TransformersJsMeta.GetProperty("lines").GetInt32());
        Assert.Equal(Corpus.CorpusSha256, Corpus.TransformersJsMeta.GetProperty("corpus_sha256").GetString());
    }

    [Fact]
    public void JsonStringReaderKeepsLoneSurrogates()
    {
        Assert.Equal("a\ud800b\"\\\n\r\t/é", ParityCorpus.ParseJsonString("\"a\\ud800b\\\"\\\\\\n\\r\\t\\/é\""));
    }

    /// <summary>
    /// transformers.js is given the raw JS string; its byte-level step (TextEncoder) turns a lone
    /// surrogate into U+FFFD, which is what our Encode does up front, so no string is exempt.
    /// </summary>
    [Fact]
    public void EncodeMatchesTransformersJsOnEveryCorpusString()
    {
        var mismatches = new List<string>();
        for (int i = 0; i < Corpus.Texts.Count; i++)
        {
            int[] ours = fixture.Tokenizer.Encode(Corpus.Texts[i], addSpecialTokens: false);
            if (!ours.AsSpan().SequenceEqual(Corpus.TransformersJsIds[i]))
            {
                mismatches.Add(Describe(i, Corpus.Texts[i], ours, Corpus.TransformersJsIds[i], "transformers.js"));
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Corpus.Texts.Count} differ from transformers.js:\n{string.Join("\n", mismatches.Take(10))}");
    }

    /// <summary>
    /// llama.cpp has no NFC step and takes UTF-8 bytes, so it is given NFC(text) with lone surrogates
    /// already replaced by U+FFFD (what Hugging Face tokenizers see); special: true makes it split out
    /// every added token, control or not, as Hugging Face does regardless of add_special_tokens.
    /// Measured with LLamaSharp 0.30.0 when this was written: without the NFC step 148 of 2,403 strings
    /// differ (decomposed input, e.g. "e\u0301", stays unmerged in llama.cpp); with special: false
    /// llama.cpp still splits the user-defined added tokens (&lt;think&gt;, &lt;｜User｜&gt;) but reads
    /// control ones (&lt;｜begin▁of▁sentence｜&gt;, &lt;|vision_pad|&gt;) as plain text.
    /// </summary>
    [Fact]
    public void EncodeMatchesLlamaCppOnEveryCorpusString()
    {
        using var weights = LLamaWeights.LoadFromFile(new ModelParams(TestModels.TinyGguf(TensorDType.F32)) { GpuLayerCount = 0, ContextSize = 64 });
        Assert.Equal("deepseek-r1-qwen", weights.Metadata["tokenizer.ggml.pre"]);
        var mismatches = new List<string>();
        for (int i = 0; i < Corpus.Texts.Count; i++)
        {
            string text = Corpus.Texts[i];
            int[] ours = fixture.Tokenizer.Encode(text, addSpecialTokens: false);
            int[] llama = [.. weights.Tokenize(IndependentNfc.Normalize(WellFormed(text)), add_bos: false, special: true, Encoding.UTF8).Select(token => (int)token)];
            if (!ours.AsSpan().SequenceEqual(llama))
            {
                mismatches.Add(Describe(i, text, ours, llama, "llama.cpp"));
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Corpus.Texts.Count} differ from llama.cpp:\n{string.Join("\n", mismatches.Take(10))}");
    }

    [Fact]
    public void DecodeInvertsEncodeUpToNfcOnEveryWellFormedString()
    {
        int checkedCount = 0;
        var mismatches = new List<int>();
        for (int i = 0; i < Corpus.Texts.Count; i++)
        {
            string text = Corpus.Texts[i];
            if (!IsWellFormed(text))
            {
                continue;
            }

            checkedCount++;
            int[] ids = fixture.Tokenizer.Encode(text, addSpecialTokens: false);
            if (fixture.Tokenizer.Decode(ids, skipSpecialTokens: false) != IndependentNfc.Normalize(text))
            {
                mismatches.Add(i);
            }
        }

        Assert.True(checkedCount >= 2000, $"only {checkedCount} well-formed strings");
        Assert.True(mismatches.Count == 0, $"round trip fails on corpus lines {string.Join(", ", mismatches.Take(20).Select(i => i + 1))}");
    }

    [Fact]
    public void LoneSurrogatesEncodeAsReplacementCharacter()
    {
        foreach (string text in Corpus.Texts.Where(t => !IsWellFormed(t)))
        {
            Assert.Equal(fixture.Tokenizer.Encode(WellFormed(text), addSpecialTokens: false), fixture.Tokenizer.Encode(text, addSpecialTokens: false));
        }
    }

    private static bool IsWellFormed(string text) => string.Equals(WellFormed(text), text, StringComparison.Ordinal);

    // Encoding.UTF8's replacement fallback: each lone surrogate becomes U+FFFD.
    private static string WellFormed(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    private static string Describe(int index, string text, int[] ours, int[] theirs, string oracle)
    {
        int first = 0;
        while (first < ours.Length && first < theirs.Length && ours[first] == theirs[first])
        {
            first++;
        }

        string shown = Escape(text.Length > 120 ? text[..120] + "…" : text);
        return $"line {index + 1} ({text.Length} chars) \"{shown}\": first difference at token {first}: " +
            $"ours [{string.Join(",", ours.Skip(first).Take(8))}] {oracle} [{string.Join(",", theirs.Skip(first).Take(8))}] (lengths {ours.Length} vs {theirs.Length})";
    }

    // Control characters and lone surrogates as \uXXXX, so the failure message stays readable.
    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool pair = i + 1 < text.Length && char.IsSurrogatePair(c, text[i + 1]);
            if (pair)
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c is < ' ' or (>= '\u007f' and < '\u00a0') || char.IsSurrogate(c))
            {
                builder.Append($"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
