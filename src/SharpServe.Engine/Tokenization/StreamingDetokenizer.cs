using System.Runtime.InteropServices;
using System.Text;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Turns generated token ids into text one id at a time, for streaming responses. A character can
/// span several byte-level tokens (CJK, emoji), so the bytes of an incomplete UTF-8 sequence at the
/// end are held back until the next token completes or breaks it. Everything pushed plus
/// <see cref="Flush"/> concatenates to exactly <see cref="Qwen2Tokenizer.Decode"/> of all the ids.
/// One instance per sequence; not thread-safe.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly Qwen2Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;

    // A stateful decoder holds the incomplete tail between calls and substitutes U+FFFD exactly as
    // Encoding.UTF8.GetString does over the whole stream, so no history has to be re-decoded.
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly List<byte> _tokenBytes = new(16);
    private char[] _chars = new char[16];

    public StreamingDetokenizer(Qwen2Tokenizer tokenizer, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text completed by <paramref name="id"/>; "" while a character is still incomplete or the token is skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Push(int id)
    {
        if ((uint)id >= (uint)_tokenizer.Spec.Tokens.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_tokenizer.Spec.Tokens.Count}");
        }

        _tokenBytes.Clear();
        _tokenizer.AppendTokenBytes(id, _skipSpecialTokens, _tokenBytes);
        return Decode(CollectionsMarshal.AsSpan(_tokenBytes), flush: false);
    }

    /// <summary>What is still held back at the end of the sequence: an incomplete character becomes U+FFFD. The detokenizer is reset.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _utf8.GetCharCount(bytes, flush);
        if (_chars.Length < count)
        {
            _chars = new char[Math.Max(count, _chars.Length * 2)];
        }

        int written = _utf8.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, written);
    }
}
