namespace SharpServe.Engine.Sampling;

/// <summary>A token and its log-probability.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);

/// <summary>
/// Log-softmax of a logits row for the sampled token and the top n tokens, without materializing the
/// vocabulary-sized distribution: one pass for the max, one for the normalizer, one for the top n.
/// </summary>
internal sealed class TopLogprobs
{
    private TokenLogprob[] _top = [];
    private int _count;

    /// <summary>The last call's top n, best first (ties: lower token id first); valid until the next call.</summary>
    public ReadOnlySpan<TokenLogprob> Top => _top.AsSpan(0, _count);

    /// <returns>log p(<paramref name="sampled"/>).</returns>
    public float Compute(ReadOnlySpan<float> logits, int sampled, int n)
    {
        float max = float.NegativeInfinity;
        foreach (float logit in logits)
        {
            max = MathF.Max(max, logit);
        }

        // Shift by the max so exp cannot overflow; sum in double so 151,936 small terms do not lose precision.
        double sum = 0;
        foreach (float logit in logits)
        {
            sum += Math.Exp(logit - max);
        }

        // log p = (logit - max) - log(sum): subtracting the max first keeps float precision when logits are
        // large (at 1000 a float's step is 6e-5, too coarse for max + log(sum) as one number).
        float logSum = (float)Math.Log(sum);
        if (_top.Length < n)
        {
            _top = new TokenLogprob[n];
        }

        _count = 0;
        for (int i = 0; i < logits.Length && n > 0; i++)
        {
            Insert(i, logits[i], n);
        }

        for (int j = 0; j < _count; j++)
        {
            _top[j] = _top[j] with { Logprob = (_top[j].Logprob - max) - logSum };
        }

        return (logits[sampled] - max) - logSum;
    }

    /// <summary>Insertion into the kept top n (held as raw logits until the end); most tokens fail the first compare.</summary>
    private void Insert(int token, float logit, int n)
    {
        if (_count == n && logit <= _top[n - 1].Logprob)
        {
            return;
        }

        int at = _count == n ? n - 1 : _count++;
        while (at > 0 && _top[at - 1].Logprob < logit)
        {
            _top[at] = _top[at - 1];
            at--;
        }

        _top[at] = new TokenLogprob(token, logit);
    }
}
