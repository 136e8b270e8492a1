using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Prints generated text as it grows. A token can end in the middle of a UTF-8 character, so text
/// is held back while the decoded tail is an incomplete character (U+FFFD). Without a tokenizer,
/// ids are printed.
/// </summary>
internal sealed class StreamingPrinter(Qwen2Tokenizer? tokenizer)
{
    private int _printedChars;

    public void Print(IReadOnlyList<int> generated, int token)
    {
        if (tokenizer is null)
        {
            Console.Write(generated.Count == 1 ? $"{token}" : $",{token}");
            return;
        }

        string text = tokenizer.Decode(generated, skipSpecialTokens: false);
        if (text.Length > _printedChars && !text.EndsWith('\uFFFD'))
        {
            Console.Write(text[_printedChars..]);
            _printedChars = text.Length;
        }
    }
}
