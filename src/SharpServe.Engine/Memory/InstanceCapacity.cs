namespace SharpServe.Engine.Memory;

/// <summary>What one instance's KV cache holds: tokens, their bytes, and how many max-model-len sequences that makes.</summary>
public sealed record InstanceCapacity(long KvTokens, long KvBytes, long Sequences);
