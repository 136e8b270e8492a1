namespace SharpServe.Engine.Loading;

/// <summary>Defaults from <c>generation_config.json</c> (or their GGUF equivalents).</summary>
public sealed record GenerationConfig(int? BosTokenId, IReadOnlyList<int> EosTokenIds, float? Temperature, float? TopP);
