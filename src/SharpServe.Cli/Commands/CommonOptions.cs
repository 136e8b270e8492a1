using System.CommandLine;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Loading;

namespace SharpServe.Cli.Commands;

/// <summary>Options and helpers shared by the model-running commands.</summary>
public static class CommonOptions
{
    public static Option<string?> Model() => new("--model")
    {
        Description = "HF model directory or GGUF file (default: the embedded tiny model, created on first use in the user cache)",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Compute threads",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<string?> PromptIds() => new("--prompt-ids")
    {
        Description = "Comma-separated token ids, e.g. 1,2,3",
    };

    /// <summary>The --model value, or the embedded default created on first use.</summary>
    public static string ResolveModel(string? model) =>
        model ?? DefaultModel.Ensure(message => Console.Error.WriteLine(message));

    public static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new ArgumentException($"--prompt-ids: '{parts[i]}' is not a token id");
            }
        }

        return ids.Length > 0 ? ids : throw new ArgumentException("--prompt-ids: no ids given");
    }

    /// <summary>Runs a command body, turning expected failures into one clear line on stderr and exit code 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ModelFormatException or Engine.Memory.MemoryBudgetException or Engine.Templates.TemplateException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
