using SharpServe.Engine.Scheduling;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Prints a request's outputs as they stream: the engine's incremental text (never a split UTF-8
/// character), or the token ids when the model has no tokenizer.
/// </summary>
internal sealed class StreamingPrinter(bool hasText)
{
    private bool _first = true;

    public void Print(RequestOutput output)
    {
        if (hasText)
        {
            Console.Write(output.Text);
            return;
        }

        foreach (int token in output.NewTokenIds)
        {
            Console.Write(_first ? $"{token}" : $",{token}");
            _first = false;
        }
    }
}
