using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Tests.Sampling;

/// <summary>
/// <see cref="SamplingRow"/>'s contract read straight off its definition, independent of the kernels: full sorts, host
/// MathF.Exp, sums in sorted or index order, logprobs in double. It flags a draw as near a boundary when the top-p target
/// or the uniform's target lies within 1e-9 (relative) of a cumulative sum it crosses, where summation order alone may
/// decide the token.
/// </summary>
internal static class ContractSampler
{
    private const double Boundary = 1e-9;

    public sealed record Result(int Token, bool NearBoundary, double Logprob, (int Token, double Logprob)[] Top);

    public static Result Sample(float[] logits, int vocab, SamplingRow row)
    {
        var raw = logits.AsSpan(row.LogitsRow * vocab, vocab).ToArray();
        var p = (float[])raw.Clone();
        foreach (var edit in row.Edits)
        {
            p[edit.Token] = edit.Apply(raw[edit.Token], row.RepetitionPenalty, row.PresencePenalty, row.FrequencyPenalty);
        }

        var (token, near) = row.Greedy ? (Descending(p)[0], false) : Draw(p, row);
        if (row.Logprobs < 0)
        {
            return new Result(token, near, double.NaN, []);
        }

        double m = raw.Max();
        double logSum = Math.Log(raw.Sum(v => Math.Exp(v - m)));
        var top = Descending(raw).Take(row.Logprobs).Select(i => (i, raw[i] - m - logSum)).ToArray();
        return new Result(token, near, raw[token] - m - logSum, top);
    }

    private static (int Token, bool Near) Draw(float[] p, SamplingRow row)
    {
        var order = Descending(p);
        float max = p[order[0]];
        float floor = row.MinP > 0 ? max + (row.Temperature * MathF.Log(row.MinP)) : float.NegativeInfinity;
        if (row.TopK > 0 && row.TopK < p.Length)
        {
            floor = MathF.Max(floor, p[order[row.TopK - 1]]);
        }

        var kept = order.Where(i => p[i] >= floor && p[i] > float.NegativeInfinity).ToArray();
        var w = new float[p.Length];
        foreach (int i in kept)
        {
            w[i] = MathF.Exp((p[i] - max) / row.Temperature);
        }

        bool near = false;
        if (row.TopP < 1)
        {
            // The heaviest weights first until their mass reaches top_p of the kept mass; c is the last weight taken.
            var byWeight = kept.OrderByDescending(i => w[i]).ToArray();
            double mass = byWeight.Sum(i => (double)w[i]);
            double target = row.TopP * mass;
            double cumulative = 0;
            float c = 0;
            foreach (int i in byWeight)
            {
                cumulative += w[i];
                near |= Math.Abs(cumulative - target) <= Boundary * mass;
                if (cumulative >= target)
                {
                    c = w[i];
                    break;
                }
            }

            kept = kept.Where(i => w[i] >= c).ToArray();
        }

        kept = [.. kept.Where(i => w[i] > 0)]; // a weight that underflowed to 0 is never drawn
        Array.Sort(kept);
        double total = kept.Sum(i => (double)w[i]);
        double goal = row.Uniform * total;
        double sum = 0;
        foreach (int i in kept)
        {
            sum += w[i];
            near |= Math.Abs(sum - goal) <= Boundary * total;
            if (sum >= goal)
            {
                return (i, near);
            }
        }

        return (kept[^1], true);
    }

    /// <summary>Token ids by value, largest first, ties to the lower id.</summary>
    private static int[] Descending(float[] values) =>
        [.. Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i)];
}
