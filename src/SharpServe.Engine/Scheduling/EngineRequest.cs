using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Scheduling;

/// <summary>A tokenized generation request; <see cref="Id"/> must be unique among the engine's live requests.</summary>
public sealed record EngineRequest(string Id, int[] PromptIds, SamplingParams SamplingParams);
