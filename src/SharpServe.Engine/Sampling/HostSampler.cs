namespace SharpServe.Engine.Sampling;

/// <summary>
/// Runs a <see cref="SamplingRow"/>'s draw on a logits row in host memory, exactly as the row's contract states: the CPU
/// backend's sampler. Scratch buffers are sized on first use; steady-state calls allocate nothing.
/// </summary>
public sealed class HostSampler
{
    private readonly Nucleus _nucleus = new();
    private readonly TopLogprobs _logprobs = new();
    private float[] _processed = [];
    private float[] _scratch = [];

    /// <summary>Draws from <paramref name="logits"/> (one row, [vocab]) and writes the token and logprobs into <paramref name="row"/>.</summary>
    public void Sample(ReadOnlySpan<float> logits, SamplingRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (_processed.Length < logits.Length)
        {
            _processed = new float[logits.Length];
            _scratch = new float[logits.Length];
        }

        Span<float> processed = _processed.AsSpan(0, logits.Length);
        logits.CopyTo(processed);
        foreach (var edit in row.Edits)
        {
            if ((uint)edit.Token >= (uint)logits.Length)
            {
                throw new ArgumentException($"logit edit of token {edit.Token} is outside the vocabulary of {logits.Length}");
            }

            processed[edit.Token] = edit.Apply(logits[edit.Token], row.RepetitionPenalty, row.PresencePenalty, row.FrequencyPenalty);
        }

        row.Token = row.Greedy ? Greedy.ArgMax(processed) : Draw(processed, row);
        if (row.Logprobs >= 0)
        {
            row.Logprob = _logprobs.Compute(logits, row.Token, row.Logprobs);
            _logprobs.Top.CopyTo(row.Top);
        }
    }

    private int Draw(Span<float> processed, SamplingRow row)
    {
        float temperature = row.Temperature;
        float max = processed[Greedy.ArgMax(processed)];

        // min_p keeps p ≥ min_p · p_max of softmax(logits / T), i.e. logit ≥ max + T · ln(min_p).
        float floor = row.MinP > 0 ? max + (temperature * MathF.Log(row.MinP)) : float.NegativeInfinity;

        // top_k keeps every token at least as large as the k-th largest (ties kept, as vLLM's threshold mask does).
        if (row.TopK > 0 && row.TopK < processed.Length)
        {
            Span<float> copy = _scratch.AsSpan(0, processed.Length);
            processed.CopyTo(copy);
            floor = MathF.Max(floor, SelectKth.Largest(copy, row.TopK));
        }

        // Weights of the kept tokens, 0 elsewhere (a masked token never reaches the draw).
        Span<float> weights = _scratch.AsSpan(0, processed.Length);
        for (int i = 0; i < processed.Length; i++)
        {
            float p = processed[i];
            weights[i] = p >= floor && p > float.NegativeInfinity ? MathF.Exp((p - max) / temperature) : 0;
        }

        float cut = MathF.Max(row.TopP < 1 ? _nucleus.Cut(weights, row.TopP) : 0, float.Epsilon);
        return DrawInIndexOrder(weights, cut, row.Uniform);
    }

    /// <summary>The first token (index order) with weight ≥ <paramref name="cut"/> whose cumulative kept weight reaches uniform · Σ kept.</summary>
    private static int DrawInIndexOrder(ReadOnlySpan<float> weights, float cut, double uniform)
    {
        double total = 0;
        foreach (float w in weights)
        {
            total += w >= cut ? w : 0;
        }

        double target = uniform * total;
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] >= cut)
            {
                cumulative += weights[i];
                last = i;
                if (cumulative >= target)
                {
                    return i;
                }
            }
        }

        return last; // rounding left the target a hair past the summed mass: the last kept token is the right answer
    }
}
