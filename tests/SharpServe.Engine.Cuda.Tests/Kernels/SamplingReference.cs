using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>
/// The sampling kernels' phases in plain C#, summing in the kernels' documented orders (thread t over elements t,
/// t + groupSize, … in double, then the threads' sums in thread order; for the draw, contiguous chunks and their sums in
/// thread order), so the simulated device must match bit for bit. Selections are computed directly (a sort for the k-th value, a scan over
/// the distinct weights for the top-p cut), not by the kernels' bit searches. exp/log are <see cref="DeviceMath"/>'s,
/// which <c>DeviceMathTests</c> checks against the host's.
/// </summary>
internal static class SamplingReference
{
    public sealed record Phases(float[] Processed, float Max, int ArgMax, float[] Weights, float Floor, float Cut, int Token, float Logprob, TokenLogprob[] Top);

    public static Phases Run(float[] logits, int vocab, SamplingRow row, int groupSize)
    {
        var raw = logits.AsSpan(row.LogitsRow * vocab, vocab).ToArray();
        var p = (float[])raw.Clone();
        foreach (var edit in row.Edits)
        {
            p[edit.Token] = edit.Apply(raw[edit.Token], row.RepetitionPenalty, row.PresencePenalty, row.FrequencyPenalty);
        }

        int argMax = ArgMax(p);
        float max = p[argMax];
        if (row.Greedy)
        {
            return WithLogprobs(new Phases(p, max, argMax, p, 0, 0, argMax, 0, []), raw, row, groupSize);
        }

        float floor = row.MinP > 0 ? max + (row.Temperature * MathF.Log(row.MinP)) : float.NegativeInfinity;
        if (row.TopK > 0 && row.TopK < vocab)
        {
            floor = MathF.Max(floor, KthLargest(p, row.TopK));
        }

        var w = new float[vocab];
        for (int i = 0; i < vocab; i++)
        {
            w[i] = p[i] >= floor && p[i] > float.NegativeInfinity ? DeviceMath.ExpF((p[i] - max) / row.Temperature) : -1f;
        }

        float cut = row.TopP < 1 ? TopPCut(w, row.TopP, groupSize) : float.Epsilon; // a weight that underflowed to 0 is never drawn
        int token = Draw(w, cut, row.Uniform, groupSize, argMax);
        return WithLogprobs(new Phases(p, max, argMax, w, floor, cut, token, 0, []), raw, row, groupSize);
    }

    /// <summary>Σ over a group: thread t sums terms t, t + groupSize, … in double; then the threads' sums in thread order from 0.</summary>
    private static double ThreadOrderSum(int count, int groupSize, Func<int, double> term)
    {
        double total = 0;
        for (int t = 0; t < groupSize; t++)
        {
            double thread = 0;
            for (int i = t; i < count; i += groupSize)
            {
                thread += term(i);
            }

            total += thread;
        }

        return total;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The k-th largest in the order of float bits mapped to sortable keys (−0 below +0), as the kernel ranks them.</summary>
    private static float KthLargest(float[] values, int k)
    {
        var keys = values.Select(v =>
        {
            uint bits = BitConverter.SingleToUInt32Bits(v);
            return (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
        }).OrderDescending().ToArray();
        uint key = keys[k - 1];
        return BitConverter.UInt32BitsToSingle((key & 0x80000000) != 0 ? key & 0x7FFFFFFF : ~key);
    }

    /// <summary>The largest distinct positive weight c whose mass Σ_{w ≥ c} w (kernel order) reaches top_p · Σ_{w ≥ 0} w.</summary>
    private static float TopPCut(float[] w, float topP, int groupSize)
    {
        double target = topP * ThreadOrderSum(w.Length, groupSize, i => w[i] >= 0 ? w[i] : 0);
        foreach (float c in w.Where(v => v > 0).Distinct().OrderDescending())
        {
            if (ThreadOrderSum(w.Length, groupSize, i => w[i] >= c ? w[i] : 0) >= target)
            {
                return c;
            }
        }

        throw new InvalidOperationException("no cut reaches the target");
    }

    private static int Draw(float[] w, float cut, double uniform, int groupSize, int argMax)
    {
        int vocab = w.Length;
        int chunk = (vocab + groupSize - 1) / groupSize;
        var chunkSums = new double[groupSize];
        for (int t = 0; t < groupSize; t++)
        {
            for (int i = Math.Min(t * chunk, vocab); i < Math.Min((t + 1) * chunk, vocab); i++)
            {
                chunkSums[t] += w[i] >= cut ? w[i] : 0;
            }
        }

        double total = 0;
        var before = new double[groupSize];
        for (int t = 0; t < groupSize; t++)
        {
            before[t] = total;
            total += chunkSums[t];
        }

        double target = uniform * total;
        int last = -1;
        for (int t = 0; t < groupSize; t++)
        {
            double cumulative = before[t];
            for (int i = Math.Min(t * chunk, vocab); i < Math.Min((t + 1) * chunk, vocab); i++)
            {
                if (w[i] >= cut)
                {
                    cumulative += w[i];
                    last = i;
                    if (cumulative >= target)
                    {
                        return i;
                    }
                }
            }
        }

        return last >= 0 ? last : argMax;
    }

    private static Phases WithLogprobs(Phases phases, float[] raw, SamplingRow row, int groupSize)
    {
        if (row.Logprobs < 0)
        {
            return phases;
        }

        float m = raw[ArgMax(raw)];
        float logSum = (float)DeviceMath.Log(ThreadOrderSum(raw.Length, groupSize, i => DeviceMath.Exp(raw[i] - m)));
        var top = Enumerable.Range(0, raw.Length)
            .OrderByDescending(i => raw[i]).ThenBy(i => i)
            .Take(row.Logprobs)
            .Select(i => new TokenLogprob(i, (raw[i] - m) - logSum))
            .ToArray();
        return phases with { Logprob = (raw[phases.Token] - m) - logSum, Top = top };
    }
}
