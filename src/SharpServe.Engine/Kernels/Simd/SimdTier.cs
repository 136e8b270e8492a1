namespace SharpServe.Engine.Kernels.Simd;

/// <summary>Vector width the CPU kernels run at; chosen once per backend.</summary>
public enum SimdTier
{
    Scalar,
    Vector256,
    Vector512,
}

public static class SimdTiers
{
    /// <summary>The widest tier this machine accelerates.</summary>
    public static SimdTier Best => Simd512.IsSupported ? SimdTier.Vector512 : Simd256.IsSupported ? SimdTier.Vector256 : SimdTier.Scalar;

    public static bool IsSupported(SimdTier tier) => tier switch
    {
        SimdTier.Vector512 => Simd512.IsSupported,
        SimdTier.Vector256 => Simd256.IsSupported,
        SimdTier.Scalar => true,
        _ => false,
    };

    /// <summary>Every tier this machine can run, widest first (tests run each).</summary>
    public static IReadOnlyList<SimdTier> Supported { get; } =
        new[] { SimdTier.Vector512, SimdTier.Vector256, SimdTier.Scalar }.Where(IsSupported).ToArray();
}
