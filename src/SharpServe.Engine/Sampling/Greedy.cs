namespace SharpServe.Engine.Sampling;

/// <summary>Greedy decoding's choice, shared by the sampler and by tools that drive the model directly.</summary>
public static class Greedy
{
    /// <summary>Index of the largest logit; the lowest index wins ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
