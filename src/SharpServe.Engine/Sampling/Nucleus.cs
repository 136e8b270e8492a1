namespace SharpServe.Engine.Sampling;

/// <summary>
/// The top-p cut as Hugging Face and vLLM define it: order tokens by weight, keep the smallest prefix whose mass reaches
/// top_p (at least one token). Returned as the cut weight c — the kept set is every token with weight ≥ c (ties at c all
/// kept) — so the draw can walk tokens in index order, as a GPU does, instead of in weight order.
/// </summary>
/// <remarks>
/// A full sort of a 151,936-entry vocabulary per token would dominate decoding, so tokens are bucketed by the top bits of
/// their float weight (exponent plus 3 mantissa bits: buckets ~9% wide, ordered like the weights). Whole buckets above
/// the one where the cumulative mass crosses top_p are kept without ordering them; only the crossing bucket is sorted to
/// find the exact cut. Scratch is sized on first use, so steady-state calls allocate nothing.
/// </remarks>
internal sealed class Nucleus
{
    // Non-negative floats' bit patterns sort like their values; >> 20 keeps sign-free exponent + 3 mantissa bits.
    private const int BucketShift = 20;
    private const int Buckets = 1 << (31 - BucketShift);

    private readonly double[] _bucketMass = new double[Buckets];
    private float[] _crossing = [];

    /// <param name="weights">Non-negative weights, at least one positive.</param>
    /// <returns>The cut c: the largest weight with Σ_{w ≥ c} w ≥ <paramref name="topP"/> · Σ w.</returns>
    public float Cut(ReadOnlySpan<float> weights, float topP)
    {
        if (_crossing.Length < weights.Length)
        {
            _crossing = new float[weights.Length];
        }

        Array.Clear(_bucketMass);
        double total = 0;
        float lightest = float.PositiveInfinity;
        foreach (float w in weights)
        {
            _bucketMass[Bucket(w)] += w;
            total += w;
            lightest = MathF.Min(lightest, w);
        }

        // Walk buckets from the heaviest weights down until the next one would reach the target mass. Stopping at the
        // lightest token's bucket keeps the crossing bucket non-empty even if rounding denies the target.
        double target = topP * total;
        double above = 0;
        int crossing = Buckets - 1;
        while (crossing > Bucket(lightest) && above + _bucketMass[crossing] < target)
        {
            above += _bucketMass[crossing];
            crossing--;
        }

        int count = 0;
        foreach (float w in weights)
        {
            if (Bucket(w) == crossing)
            {
                _crossing[count++] = w;
            }
        }

        Span<float> sorted = _crossing.AsSpan(0, count);
        sorted.Sort();
        for (int j = count - 1; j >= 0; j--)
        {
            above += sorted[j];
            if (above >= target)
            {
                return sorted[j];
            }
        }

        return sorted[0]; // rounding denied the target: every token of the crossing bucket is kept
    }

    private static int Bucket(float weight) => (BitConverter.SingleToInt32Bits(weight) >> BucketShift) & (Buckets - 1);
}
