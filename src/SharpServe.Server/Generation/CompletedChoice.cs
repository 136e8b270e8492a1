using System.Text;
using SharpServe.Engine.Scheduling;

namespace SharpServe.Server.Generation;

/// <summary>One choice of a non-streaming request, assembled from its outputs.</summary>
public sealed class CompletedChoice(int index)
{
    private readonly StringBuilder _text = new();
    private readonly List<GeneratedLogprob> _logprobs = [];
    private readonly List<int> _tokenIds = [];

    public int Index { get; } = index;

    public string Text => _text.ToString();

    public IReadOnlyList<GeneratedLogprob> Logprobs => _logprobs;

    /// <summary>Every generated id, including those of a stop string held back from the text.</summary>
    public IReadOnlyList<int> TokenIds => _tokenIds;

    public string? FinishReason { get; private set; }

    /// <summary>Collects every choice's outputs; the list is ordered by choice index.</summary>
    public static async Task<IReadOnlyList<CompletedChoice>> CollectAsync(IAsyncEnumerable<RequestOutput> outputs, int n, UsageCounter usage)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(usage);
        CompletedChoice[] choices = [.. Enumerable.Range(0, n).Select(index => new CompletedChoice(index))];
        await foreach (RequestOutput output in outputs)
        {
            usage.Add(output);
            CompletedChoice choice = choices[output.Index];
            choice._text.Append(output.Text);
            choice._logprobs.AddRange(output.Logprobs ?? []);
            choice._tokenIds.AddRange(output.NewTokenIds);
            choice.FinishReason ??= FinishReasons.Name(output);
        }

        return choices;
    }
}
