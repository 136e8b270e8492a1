namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>A value and its token id, ordered as the sampler ranks tokens: larger value first, then the lower id.</summary>
internal readonly record struct Ranked(float Value, int Index)
{
    /// <summary>Below every real token (a −∞ one ranks above it by its lower id).</summary>
    public static Ranked None => new(float.NegativeInfinity, int.MaxValue);

    /// <summary>Above every real token, −∞ to +∞ (NaN never ranks).</summary>
    public static Ranked All => new(float.PositiveInfinity, -1);

    public bool Above(Ranked other) => Value > other.Value || (Value == other.Value && Index < other.Index);
}
