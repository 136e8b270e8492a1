using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>The model identity a shared arena is published under and checked against: the weight files the checkpoint was read from.</summary>
internal static class SharedWeightsIdentity
{
    private const string FormatVersion = "sharpserve shared weights 1";

    public static string Of(ModelCheckpoint checkpoint) => WeightSourceIdentity.Describe(checkpoint.Path, FormatVersion);
}
