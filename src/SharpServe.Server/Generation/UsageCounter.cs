using SharpServe.Engine.Scheduling;
using SharpServe.Server.Protocol;

namespace SharpServe.Server.Generation;

/// <summary>Counts a request's tokens as outputs arrive: the prompt once, each choice's latest completion count.</summary>
public sealed class UsageCounter(int promptTokens)
{
    private readonly Dictionary<int, int> _completionTokens = [];

    public void Add(RequestOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _completionTokens[output.Index] = output.Usage.CompletionTokens;
    }

    public UsageInfo Total => new(promptTokens, _completionTokens.Values.Sum());
}
