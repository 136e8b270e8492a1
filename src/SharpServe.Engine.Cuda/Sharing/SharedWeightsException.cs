namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>A shared-weights manifest that cannot be used here, with the reason in words (which card, file or entry).</summary>
public sealed class SharedWeightsException(string message) : InvalidOperationException(message);
