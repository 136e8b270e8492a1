namespace SharpServe.Engine.Sampling;

/// <summary>
/// Top-p (nucleus) draw as Hugging Face and vLLM define it: order tokens by probability, keep the smallest
/// prefix whose mass reaches top_p (at least one token), renormalize, draw.
/// </summary>
/// <remarks>
/// A full sort of a 151,936-entry vocabulary per token would dominate decoding, so tokens are bucketed by
/// the top bits of their float weight (exponent plus 3 mantissa bits: buckets ~9% wide, ordered like the
/// weights). Whole buckets above the one where the cumulative mass crosses top_p are kept without
/// ordering them (a draw does not care about order inside the kept set); only the crossing bucket is
/// sorted to find the exact cut. Scratch is sized on first use, so steady-state calls allocate nothing.
/// </remarks>
internal sealed class Nucleus
{
    // Non-negative floats' bit patterns sort like their values; >> 20 keeps sign-free exponent + 3 mantissa bits.
    private const int BucketShift = 20;
    private const int Buckets = 1 << (31 - BucketShift);

    private readonly double[] _bucketMass = new double[Buckets];
    private float[] _weights = [];
    private float[] _crossingKeys = [];
    private int[] _crossingTokens = [];

    /// <param name="max">The largest logit, subtracted so weights lie in (0, 1] and cannot overflow.</param>
    /// <param name="uniform">A uniform draw in [0, 1).</param>
    public int Sample(ReadOnlySpan<float> logits, float max, float temperature, float topP, double uniform)
    {
        EnsureCapacity(logits.Length);
        Span<float> weights = _weights.AsSpan(0, logits.Length);
        Array.Clear(_bucketMass);
        double total = 0;
        float lightest = 1;
        for (int i = 0; i < logits.Length; i++)
        {
            float w = MathF.Exp((logits[i] - max) / temperature);
            weights[i] = w;
            _bucketMass[Bucket(w)] += w;
            total += w;
            lightest = MathF.Min(lightest, w);
        }

        // Walk buckets from the heaviest weights down until the next one would reach the target mass. Stopping
        // at the lightest token's bucket keeps the crossing bucket non-empty even if rounding denies the target.
        double target = topP * total;
        double above = 0;
        int crossing = Buckets - 1;
        while (crossing > Bucket(lightest) && above + _bucketMass[crossing] < target)
        {
            above += _bucketMass[crossing];
            crossing--;
        }

        int kept = SortCrossingBucket(weights, crossing, above, target, out double crossingMass);

        // Draw over the kept set: whole buckets above the crossing one (in index order), then the kept
        // prefix of the crossing bucket.
        double draw = uniform * (above + crossingMass);
        double cumulative = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (Bucket(weights[i]) > crossing)
            {
                cumulative += weights[i];
                if (cumulative >= draw)
                {
                    return i;
                }
            }
        }

        for (int j = 0; j < kept; j++)
        {
            cumulative += -_crossingKeys[j];
            if (cumulative >= draw)
            {
                return _crossingTokens[j];
            }
        }

        // Rounding left the draw a hair past the summed mass: the last kept token is the right answer.
        return _crossingTokens[kept - 1];
    }

    /// <summary>Sorts the crossing bucket by weight descending and returns how many of its tokens are kept.</summary>
    private int SortCrossingBucket(ReadOnlySpan<float> weights, int crossing, double above, double target, out double keptMass)
    {
        int count = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (Bucket(weights[i]) == crossing)
            {
                _crossingKeys[count] = -weights[i]; // negated: an ascending sort puts the heaviest first
                _crossingTokens[count] = i;
                count++;
            }
        }

        _crossingKeys.AsSpan(0, count).Sort(_crossingTokens.AsSpan(0, count));
        keptMass = 0;
        int kept = 0;
        while (kept < count)
        {
            keptMass += -_crossingKeys[kept];
            kept++;
            if (above + keptMass >= target)
            {
                break;
            }
        }

        return kept;
    }

    private static int Bucket(float weight) => (BitConverter.SingleToInt32Bits(weight) >> BucketShift) & (Buckets - 1);

    private void EnsureCapacity(int vocab)
    {
        if (_weights.Length < vocab)
        {
            _weights = new float[vocab];
            _crossingKeys = new float[vocab];
            _crossingTokens = new int[vocab];
        }
    }
}
