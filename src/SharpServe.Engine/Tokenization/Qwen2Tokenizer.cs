using System.Text;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// The Qwen2 / DeepSeek-R1-Distill-Qwen byte-level BPE tokenizer, with Hugging Face tokenizers'
/// semantics: added tokens are cut out of the raw text first, the rest is NFC-normalized, split by
/// the Qwen2 pre-tokenizer and BPE-encoded. Thread-safe.
/// </summary>
public sealed class Qwen2Tokenizer
{
    private static readonly string[] SupportedPreTokenizers = ["qwen2", "deepseek-r1-qwen"];

    private readonly AddedTokenSplitter _addedTokens;
    private readonly BytePairEncoder _bpe;

    /// <exception cref="ArgumentException">The spec is not a byte-level BPE with the Qwen2 pre-tokenizer, or is inconsistent.</exception>
    public Qwen2Tokenizer(TokenizerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!SupportedPreTokenizers.Contains(spec.Pre))
        {
            throw new ArgumentException($"pre-tokenizer '{spec.Pre}' is not supported; expected one of {string.Join(", ", SupportedPreTokenizers)}", nameof(spec));
        }

        if (spec.Kinds.Count != spec.Tokens.Count)
        {
            throw new ArgumentException($"{spec.Tokens.Count} tokens but {spec.Kinds.Count} kinds", nameof(spec));
        }

        var vocab = new Dictionary<string, int>(spec.Tokens.Count, StringComparer.Ordinal);
        var added = new List<(string, int)>();
        for (int id = 0; id < spec.Tokens.Count; id++)
        {
            switch (spec.Kinds[id])
            {
                case TokenKind.Control or TokenKind.UserDefined:
                    added.Add((spec.Tokens[id], id));
                    break;
                case TokenKind.Unused:
                    break;
                default:
                    vocab.TryAdd(spec.Tokens[id], id);
                    break;
            }
        }

        Spec = spec;
        _addedTokens = new AddedTokenSplitter(added);
        _bpe = new BytePairEncoder(vocab, spec.Merges);
    }

    public TokenizerSpec Spec { get; }

    /// <summary>
    /// Token ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, BOS first when the spec asks for it.
    /// Lone surrogates become U+FFFD first (as Rust's String::from_utf16_lossy would make them before HF sees the text).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        string clean = ReplaceLoneSurrogates(text);
        var ids = new List<int>(clean.Length / 3 + 2);
        if (addSpecialTokens && Spec.AddBos && Spec.BosId is int bos)
        {
            ids.Add(bos);
        }

        var pieces = new List<(int Start, int Length)>();
        _addedTokens.Split(
            clean,
            (start, length) => EncodeOrdinaryText(clean.Substring(start, length), ids, pieces),
            ids.Add);
        return [.. ids];
    }

    /// <summary>
    /// Text of <paramref name="ids"/>: byte-level tokens back to bytes, added tokens verbatim (Control ones
    /// dropped with <paramref name="skipSpecialTokens"/>), padding rows dropped, invalid UTF-8 as U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>(ids.Count * 4);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)Spec.Tokens.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside the vocabulary of {Spec.Tokens.Count}");
            }

            AppendTokenBytes(id, skipSpecialTokens, bytes);
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// The raw bytes <see cref="Decode"/> gives one in-range <paramref name="id"/>, before UTF-8 decoding;
    /// shared with <see cref="StreamingDetokenizer"/> so both see the same byte stream.
    /// </summary>
    internal void AppendTokenBytes(int id, bool skipSpecialTokens, List<byte> bytes)
    {
        string token = Spec.Tokens[id];
        switch (Spec.Kinds[id])
        {
            case TokenKind.Unused:
            case TokenKind.Control when skipSpecialTokens:
                break;
            case TokenKind.Control or TokenKind.UserDefined:
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                break;
            default:
                AppendByteLevelToken(token, bytes);
                break;
        }
    }

    // HF's ByteLevel decoder: a token with a char outside the byte alphabet is taken as plain text.
    private static void AppendByteLevelToken(string token, List<byte> bytes)
    {
        int mark = bytes.Count;
        foreach (char c in token)
        {
            if (!ByteLevelAlphabet.TryGetByte(c, out byte b))
            {
                bytes.RemoveRange(mark, bytes.Count - mark);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }

            bytes.Add(b);
        }
    }

    // Encoding.UTF8 substitutes U+FFFD for a lone surrogate; text without surrogates skips the round trip.
    private static string ReplaceLoneSurrogates(string text) =>
        text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : text;

    private void EncodeOrdinaryText(string text, List<int> ids, List<(int Start, int Length)> pieces)
    {
        string normalized = UnicodeNfc.Normalize(text);
        pieces.Clear();
        Qwen2PreTokenizer.Split(normalized, pieces);
        foreach (var (start, length) in pieces)
        {
            _bpe.Encode(normalized.AsSpan(start, length), ids);
        }
    }
}
