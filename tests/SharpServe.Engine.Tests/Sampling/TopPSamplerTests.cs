using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class TopPSamplerTests
{
    // Probabilities 0.15, 0.5, 0.05, 0.3 at T = 1, deliberately not in index order.
    private static readonly float[] Logits = [MathF.Log(0.15f), MathF.Log(0.5f), MathF.Log(0.05f), MathF.Log(0.3f)];

    [Theory]
    [InlineData(0.4f, new[] { 0.0, 1.0, 0.0, 0.0 })]              // 0.5 alone reaches 0.4
    [InlineData(0.7f, new[] { 0.0, 0.625, 0.0, 0.375 })]          // 0.5 + 0.3 reaches 0.7
    [InlineData(0.9f, new[] { 0.15 / 0.95, 0.5 / 0.95, 0.0, 0.3 / 0.95 })]
    public void Frequencies_FollowTheRenormalizedNucleus(float topP, double[] expected)
    {
        const int draws = 40_000;
        var sampler = new TestSampler(1, topP, 7);
        var counts = new int[Logits.Length];
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Sample(Logits)]++;
        }

        for (int token = 0; token < Logits.Length; token++)
        {
            if (expected[token] == 0)
            {
                Assert.Equal(0, counts[token]);
            }
            else
            {
                Assert.InRange(counts[token] / (double)draws, expected[token] - 0.01, expected[token] + 0.01);
            }
        }
    }

    [Fact]
    public void TopPOne_DrawsExactlyWhatPlainTemperatureSamplingDraws()
    {
        float[] logits = RandomLogits(1000, seed: 3);
        var plain = new TestSampler(0.6f, 1f, 9);
        var nucleus = new TestSampler(0.6f, 1f, 9);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(plain.Sample(logits), nucleus.Sample(logits));
        }
    }

    [Fact]
    public void TemperatureZero_StaysGreedy()
    {
        var sampler = new TestSampler(0, 0.5f, 1);
        Assert.Equal(2, sampler.Sample([0.5f, -1f, 3f, 3f, 2.9f]));
    }

    [Fact]
    public void LargeVocabulary_NeverDrawsOutsideTheNucleusComputedByAFullSort()
    {
        float[] logits = RandomLogits(151_936, seed: 5);
        const float temperature = 0.6f;
        const float topP = 0.95f;
        var nucleus = ReferenceNucleus(logits, temperature, topP);
        Assert.InRange(nucleus.Count, 2, logits.Length - 1); // the test only bites if the nucleus is a strict subset

        var sampler = new TestSampler(temperature, topP, 11);
        for (int i = 0; i < 2_000; i++)
        {
            Assert.Contains(sampler.Sample(logits), nucleus);
        }
    }

    [Fact]
    public void LargeVocabulary_TheWeakestKeptTokenCanBeDrawn()
    {
        // Two heavy tokens and a light tail: top_p 0.9 keeps exactly the two, so only they may appear, both must.
        var logits = new float[151_936];
        Array.Fill(logits, -20f);
        logits[70_000] = 10f;
        logits[3] = 9.5f;
        var sampler = new TestSampler(1, 0.9f, 2);
        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            seen.Add(sampler.Sample(logits));
        }

        Assert.Equal([3, 70_000], seen.Order());
    }

    [Fact]
    public void SteadyStateSampling_AllocatesNothing()
    {
        float[] logits = RandomLogits(151_936, seed: 4);
        var sampler = new TestSampler(0.6f, 0.95f, 1);
        sampler.Sample(logits); // sizes the scratch
        Assert.Equal(0, SteadyAllocations.Of(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                sampler.Sample(logits);
            }
        }));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(1.01f)]
    [InlineData(float.NaN)]
    public void InvalidTopP_IsRefused(float topP)
    {
        Assert.Throws<ArgumentException>(() => new TestSampler(0.6f, topP, 0));
    }

    private static float[] RandomLogits(int count, int seed)
    {
        var random = new Random(seed);
        var logits = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller: standard normal logits, like a model's spread-out output row.
            logits[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return logits;
    }

    /// <summary>The textbook definition: full descending sort, smallest prefix whose mass reaches top_p.</summary>
    private static HashSet<int> ReferenceNucleus(float[] logits, float temperature, float topP)
    {
        double max = logits.Max();
        double[] weights = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double total = weights.Sum();
        var kept = new HashSet<int>();
        double cumulative = 0;
        foreach (int token in Enumerable.Range(0, logits.Length).OrderByDescending(t => weights[t]))
        {
            kept.Add(token);
            cumulative += weights[token];
            if (cumulative >= topP * total)
            {
                break;
            }
        }

        return kept;
    }
}
