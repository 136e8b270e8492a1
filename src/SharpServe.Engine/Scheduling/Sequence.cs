using SharpServe.Engine.Models;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// One request as the scheduler sees it: prompt and generated tokens, and the runner state while it
/// holds cache blocks. Computed tokens live in that state only, so preemption (dropping the state)
/// resets them to 0 while the output tokens stay and are recomputed with the prompt.
/// </summary>
public sealed class Sequence(int id, int[] promptIds, int? maxTokens)
{
    public int Id => id;

    public int[] PromptIds => promptIds;

    /// <summary>The request's max_tokens; null means only the model length limits it.</summary>
    public int? MaxTokens => maxTokens;

    public List<int> OutputIds { get; } = [];

    /// <summary>Prompt plus output tokens: every position the cache must eventually hold.</summary>
    public int Length => promptIds.Length + OutputIds.Count;

    /// <summary>Set while the sequence holds blocks; null while waiting.</summary>
    public SequenceState? State { get; internal set; }

    public int ComputedTokens => State?.CachedTokens ?? 0;

    public int TokenAt(int position) => position < promptIds.Length ? promptIds[position] : OutputIds[position - promptIds.Length];

    public int[] Tokens(int start, int count)
    {
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = TokenAt(start + i);
        }

        return tokens;
    }
}
