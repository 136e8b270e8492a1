namespace SharpServe.Engine.Sampling;

/// <summary>
/// Picks the next token from a row of logits: greedy (argmax) at temperature 0, else a draw from
/// softmax(logits / temperature), optionally restricted to the top-p nucleus, with a seeded generator
/// so runs are reproducible.
/// </summary>
public sealed class Sampler
{
    private readonly Random _random;
    private readonly Nucleus _nucleus = new();

    /// <summary>Plain temperature sampling (top_p = 1).</summary>
    public Sampler(float temperature, int seed)
        : this(temperature, 1f, seed)
    {
    }

    /// <param name="topP">Nucleus mass in (0, 1]; 1 disables nucleus filtering.</param>
    public Sampler(float temperature, float topP, int seed)
    {
        Temperature = temperature >= 0 && float.IsFinite(temperature)
            ? temperature
            : throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be finite and ≥ 0");
        TopP = topP > 0 && topP <= 1
            ? topP
            : throw new ArgumentOutOfRangeException(nameof(topP), "top_p must be in (0, 1]");
        _random = new Random(seed);
    }

    public float Temperature { get; }

    public float TopP { get; }

    public int Sample(ReadOnlySpan<float> logits)
    {
        int best = ArgMax(logits);
        if (Temperature == 0)
        {
            return best;
        }

        if (TopP < 1)
        {
            return _nucleus.Sample(logits, logits[best], Temperature, TopP, _random.NextDouble());
        }

        // Subtract the max before exponentiating so large logits cannot overflow.
        double max = logits[best];
        double total = 0;
        foreach (float logit in logits)
        {
            total += Math.Exp((logit - max) / Temperature);
        }

        double target = _random.NextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            cumulative += Math.Exp((logits[i] - max) / Temperature);
            if (cumulative >= target)
            {
                return i;
            }
        }

        return best;
    }

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
