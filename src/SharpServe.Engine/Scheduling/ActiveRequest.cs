using System.Threading.Channels;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// A request the engine is serving: its output stream and its n choices. Only choice 0 computes the prompt;
/// the others are forked from it, sharing its prompt blocks, when it samples its first token.
/// </summary>
internal sealed class ActiveRequest(EngineRequest request)
{
    public EngineRequest Request { get; } = request;

    public Channel<RequestOutput> Output { get; } = Channel.CreateUnbounded<RequestOutput>(new UnboundedChannelOptions { SingleWriter = true });

    /// <summary>Every choice, by index; set once at submission.</summary>
    public ActiveChoice[] Choices { get; set; } = [];

    /// <summary>Choices not yet finished or aborted; the stream completes when none is left.</summary>
    public int LiveChoices { get; set; }

    /// <summary>Whether choices 1..n−1 still wait for choice 0's prompt, to be forked from it.</summary>
    public bool AwaitingFork { get; set; }
}
