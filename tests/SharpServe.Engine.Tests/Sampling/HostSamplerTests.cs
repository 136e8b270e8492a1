using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

/// <summary>
/// <see cref="HostSampler"/> against a plain reading of <see cref="SamplingRow"/>'s contract: a full sort for top_k and
/// top_p, a linear walk for the draw. The sampler's bucketing and quickselect must not change which token a uniform picks.
/// </summary>
public sealed class HostSamplerTests
{
    [Fact]
    public void RandomRowsAndSettings_DrawWhatTheContractSays()
    {
        var random = new Random(12);
        var sampler = new HostSampler();
        int boundaryCases = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            int vocab = random.Next(1, 400);
            float[] logits = RandomLogits(random, vocab);
            var row = RandomRow(random, vocab);
            var (expected, nearBoundary) = Reference(logits, row);
            sampler.Sample(logits, row);
            if (nearBoundary)
            {
                boundaryCases++;
                continue;
            }

            Assert.True(expected == row.Token, $"trial {trial}: vocab {vocab}, T {row.Temperature}, top_k {row.TopK}, top_p {row.TopP}, min_p {row.MinP}, u {row.Uniform}: expected {expected}, drew {row.Token}");
        }

        Assert.InRange(boundaryCases, 0, 6); // uniforms within 1e-9 of a cumulative boundary are rare
    }

    [Fact]
    public void Greedy_TakesTheLowestIndexOfTheProcessedMaximum_AndLogprobsReadTheRawRow()
    {
        float[] logits = [1f, 3f, 0.5f, 3f];
        var row = new SamplingRow { Greedy = true, Logprobs = 2, RepetitionPenalty = 1 };
        row.ClearEdits();
        row.AddEdit(new LogitEdit(1, -5f, false, false, 0)); // bias pushes token 1 below token 3
        new HostSampler().Sample(logits, row);

        double logSum = Math.Log(logits.Sum(l => Math.Exp(l - 3)));
        Assert.Equal(3, row.Token);
        Assert.Equal((float)(0 - logSum), row.Logprob, 6);
        Assert.Equal([1, 3], row.Top.ToArray().Select(t => t.TokenId)); // raw logits: the tie goes to the lower id
    }

    [Fact]
    public void EditOutsideTheVocabulary_IsRefused()
    {
        var row = new SamplingRow { Greedy = true };
        row.ClearEdits();
        row.AddEdit(new LogitEdit(7, 1f, false, false, 0));
        Assert.Throws<ArgumentException>(() => new HostSampler().Sample([1f, 2f], row));
    }

    private static float[] RandomLogits(Random random, int vocab)
    {
        var logits = new float[vocab];
        for (int i = 0; i < vocab; i++)
        {
            // A few exact ties and masked entries among spread-out values.
            logits[i] = random.Next(10) switch
            {
                0 => 1.5f,
                1 when i > 0 => float.NegativeInfinity,
                _ => (float)((random.NextDouble() * 12) - 6),
            };
        }

        return logits;
    }

    private static SamplingRow RandomRow(Random random, int vocab)
    {
        var row = new SamplingRow
        {
            Temperature = random.Next(3) switch { 0 => 0.3f, 1 => 1f, _ => 1.7f },
            TopK = random.Next(3) == 0 ? random.Next(1, vocab + 3) : 0,
            TopP = random.Next(2) == 0 ? (float)(0.05 + (random.NextDouble() * 0.95)) : 1f,
            MinP = random.Next(4) == 0 ? (float)(random.NextDouble() * 0.3) : 0f,
            RepetitionPenalty = 1.3f,
            PresencePenalty = 0.2f,
            FrequencyPenalty = 0.1f,
            Uniform = random.NextDouble(),
            Logprobs = -1,
        };
        row.ClearEdits();
        foreach (int token in Enumerable.Range(0, vocab).Where(_ => random.Next(8) == 0))
        {
            row.AddEdit(new LogitEdit(token, (float)random.NextDouble(), random.Next(20) == 0, random.Next(2) == 0, random.Next(3)));
        }

        return row;
    }

    /// <summary>The contract read literally; also says whether the draw lands within 1e-9 (relative) of a boundary.</summary>
    private static (int Token, bool NearBoundary) Reference(float[] logits, SamplingRow row)
    {
        float[] p = [.. logits];
        foreach (var edit in row.Edits)
        {
            p[edit.Token] = edit.Apply(logits[edit.Token], row.RepetitionPenalty, row.PresencePenalty, row.FrequencyPenalty);
        }

        float max = p.Max();
        float floor = row.MinP > 0 ? max + (row.Temperature * MathF.Log(row.MinP)) : float.NegativeInfinity;
        if (row.TopK > 0 && row.TopK < p.Length)
        {
            floor = MathF.Max(floor, p.OrderByDescending(v => v).ElementAt(row.TopK - 1));
        }

        float[] w = [.. p.Select(v => v >= floor && v > float.NegativeInfinity ? MathF.Exp((v - max) / row.Temperature) : 0f)];
        float cut = float.Epsilon;
        if (row.TopP < 1)
        {
            double target = row.TopP * w.Sum(x => (double)x);
            double mass = 0;
            foreach (float x in w.OrderByDescending(x => x))
            {
                mass += x;
                if (mass >= target)
                {
                    cut = MathF.Max(x, float.Epsilon);
                    break;
                }
            }
        }

        double total = w.Where(x => x >= cut).Sum(x => (double)x);
        double drawAt = row.Uniform * total;
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < w.Length; i++)
        {
            if (w[i] < cut)
            {
                continue;
            }

            last = i;
            double before = cumulative;
            cumulative += w[i];
            bool near = Math.Abs(cumulative - drawAt) <= 1e-9 * total || Math.Abs(before - drawAt) <= 1e-9 * total;
            if (cumulative >= drawAt)
            {
                return (i, near);
            }
        }

        return (last, true);
    }
}
