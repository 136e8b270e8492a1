using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Prints generated text as it grows, through the streaming detokenizer (which never splits a
/// UTF-8 character across prints). Without a tokenizer, ids are printed.
/// </summary>
internal sealed class StreamingPrinter(Qwen2Tokenizer? tokenizer)
{
    private readonly StreamingDetokenizer? _detokenizer = tokenizer is null ? null : new StreamingDetokenizer(tokenizer, skipSpecialTokens: false);
    private bool _first = true;

    public void Print(int token)
    {
        if (_detokenizer is null)
        {
            Console.Write(_first ? $"{token}" : $",{token}");
        }
        else
        {
            Console.Write(_detokenizer.Push(token));
        }

        _first = false;
    }

    /// <summary>Prints whatever the detokenizer still holds (an incomplete final character).</summary>
    public void Finish()
    {
        if (_detokenizer is not null)
        {
            Console.Write(_detokenizer.Flush());
        }
    }
}
