using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Models;

/// <summary>A sequence the runner is tracking: how many of its tokens are in the cache, and where.</summary>
public sealed class SequenceState
{
    public BlockTable Blocks { get; } = new();

    /// <summary>Tokens whose K/V are already in the cache.</summary>
    public int CachedTokens { get; internal set; }
}
