using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// exp and log in plain double arithmetic, for the sampler. ILGPU's PTX mappings are not good enough there: MathF.Exp
/// becomes ex2.approx.f32 of x·log2(e) (errors of several ulp, growing with |x|), MathF.Log lg2.approx.f32, and Math.Exp /
/// Math.Log on doubles a CORDIC routine from ILGPU.Algorithms. These are a Cody–Waite reduction plus a polynomial, within
/// a few ulp in double, so rounded to float they are the correctly rounded value except when the exact one lies within
/// ~1e-16 of a float rounding boundary. (The host's MathF.Exp is not: about one argument in 2,000 comes out an ulp off,
/// so the CPU sampler's weights can differ from these by that ulp.) The same C# runs on the CPU accelerator and on the
/// card, where ptxas may fuse a multiply and an add: a change in the last double bit.
/// </summary>
internal static class DeviceMath
{
    // ln 2 split so k · Ln2High is exact for |k| < 2^11 (fdlibm's constants).
    private const double Ln2High = 6.93147180369123816490e-01;
    private const double Ln2Low = 1.90821492927058770002e-10;
    private const double InverseLn2 = 1.44269504088896338700e+00;

    // Below this e^x < 2.3e-308: nothing next to the sums of weights ≥ 1 it joins, and zero as a float.
    private const double ExpZeroBelow = -708.0;

    /// <summary>e^x for x ≤ 0 (the sampler's shifted logits); −∞ and anything below −708 give 0, NaN gives NaN.</summary>
    public static double Exp(double x)
    {
        if (x < ExpZeroBelow)
        {
            return 0;
        }

        // x = k·ln2 + r with |r| ≤ ln2/2 (+ rounding); e^r by Taylor to r^13, whose remainder is below 5e-18.
        double scaled = x * InverseLn2;
        int k = (int)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
        double r = (x - (k * Ln2High)) - (k * Ln2Low);
        double p = 1.0 / 6227020800.0;
        p = (p * r) + (1.0 / 479001600.0);
        p = (p * r) + (1.0 / 39916800.0);
        p = (p * r) + (1.0 / 3628800.0);
        p = (p * r) + (1.0 / 362880.0);
        p = (p * r) + (1.0 / 40320.0);
        p = (p * r) + (1.0 / 5040.0);
        p = (p * r) + (1.0 / 720.0);
        p = (p * r) + (1.0 / 120.0);
        p = (p * r) + (1.0 / 24.0);
        p = (p * r) + (1.0 / 6.0);
        p = (p * r) + 0.5;
        p = (p * r) + 1.0;
        p = (p * r) + 1.0;

        // 2^k built from its exponent bits: x ≥ −708 keeps k ≥ −1022, a normal double.
        return p * Interop.IntAsFloat((ulong)(k + 1023) << 52);
    }

    /// <summary>e^x rounded to float: the sampler's weights (see the class remarks).</summary>
    public static float ExpF(float x) => (float)Exp(x);

    /// <summary>ln s for a positive normal s (the sampler's sums, ≥ 1).</summary>
    public static double Log(double s)
    {
        // s = 2^e · m with m in [√½, √2); ln m = 2·atanh(f), f = (m − 1)/(m + 1), |f| ≤ 0.172, by its odd series to f^23.
        ulong bits = Interop.FloatAsInt(s);
        int e = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = Interop.IntAsFloat((bits & 0xFFFFFFFFFFFFFUL) | 0x3FF0000000000000UL);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }

        double f = (m - 1.0) / (m + 1.0);
        double z = f * f;
        double series = 1.0 / 23.0;
        series = (series * z) + (1.0 / 21.0);
        series = (series * z) + (1.0 / 19.0);
        series = (series * z) + (1.0 / 17.0);
        series = (series * z) + (1.0 / 15.0);
        series = (series * z) + (1.0 / 13.0);
        series = (series * z) + (1.0 / 11.0);
        series = (series * z) + (1.0 / 9.0);
        series = (series * z) + (1.0 / 7.0);
        series = (series * z) + (1.0 / 5.0);
        series = (series * z) + (1.0 / 3.0);
        series = (series * z) + 1.0;
        return (e * Ln2High) + ((2.0 * f * series) + (e * Ln2Low));
    }
}
