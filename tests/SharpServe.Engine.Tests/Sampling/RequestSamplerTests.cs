using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tests.TestSupport;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class RequestSamplerTests
{
    private const int Draws = 40_000;
    private static readonly int[] Eos = [4];

    // Probabilities 0.1, 0.2, 0.3, 0.4 (and a fifth token at 0 mass) at T = 1.
    private static readonly float[] Logits = [MathF.Log(0.1f), MathF.Log(0.2f), MathF.Log(0.3f), MathF.Log(0.4f), float.NegativeInfinity];

    [Fact]
    public void Greedy_TakesTheArgMaxAfterLogitBias()
    {
        var sampler = Create(new SamplingParams(temperature: 0, logitBias: new Dictionary<int, float> { [0] = 2f }));
        Assert.Equal(0, sampler.Sample(Logits, [], []).TokenId);
    }

    [Fact]
    public void MinTokens_MasksEosAndStopIds_UntilReached()
    {
        float[] logits = [0f, 1f, 2f, 3f, 4f]; // EOS (4) is the favourite, stop id 3 the runner-up
        var sampler = Create(new SamplingParams(temperature: 0, minTokens: 2, stopTokenIds: [3]));
        Assert.Equal(2, sampler.Sample(logits, [], [1]).TokenId);
        Assert.Equal(4, sampler.Sample(logits, [], [1, 1]).TokenId);
    }

    [Fact]
    public void MinTokens_WithIgnoreEos_LeavesEosAlone()
    {
        float[] logits = [0f, 1f, 2f, 3f, 4f];
        var sampler = Create(new SamplingParams(temperature: 0, minTokens: 2, stopTokenIds: [3], ignoreEos: true));
        Assert.Equal(4, sampler.Sample(logits, [], []).TokenId);
    }

    [Fact]
    public void Penalties_ComeAfterBias_AndSteerGreedy()
    {
        // 2.0 / 1.1 = 1.82 falls below 1.9, so the repeated token loses.
        var sampler = Create(new SamplingParams(temperature: 0, repetitionPenalty: 1.1f), vocab: 2);
        Assert.Equal(1, sampler.Sample([2f, 1.9f], [], [0]).TokenId);
        Assert.Equal(0, sampler.Sample([2f, 1.9f], [], [1]).TokenId); // 1.9 / 1.1 < 2
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Frequencies_FollowTheFilteredDistribution(SamplingParams parameters, double[] expected)
    {
        var sampler = Create(parameters);
        var counts = new int[Logits.Length];
        for (int i = 0; i < Draws; i++)
        {
            counts[sampler.Sample(Logits, [], []).TokenId]++;
        }

        for (int token = 0; token < Logits.Length; token++)
        {
            if (expected[token] == 0)
            {
                Assert.Equal(0, counts[token]);
            }
            else
            {
                Assert.InRange(counts[token] / (double)Draws, expected[token] - 0.01, expected[token] + 0.01);
            }
        }
    }

    public static TheoryData<SamplingParams, double[]> Distributions => new()
    {
        { new SamplingParams(seed: 1), [0.1, 0.2, 0.3, 0.4, 0] },
        { new SamplingParams(seed: 1, topK: 2), [0, 0, 3 / 7.0, 4 / 7.0, 0] },
        // p ≥ 0.3 · 0.4 = 0.12 keeps tokens 1..3.
        { new SamplingParams(seed: 1, minP: 0.3f), [0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9, 0] },
        // T = 0.5 squares the probabilities (0.01, 0.04, 0.09, 0.16); min_p 0.3 of 0.16 = 0.048 keeps 2 and 3.
        { new SamplingParams(seed: 1, temperature: 0.5f, minP: 0.3f), [0, 0, 0.09 / 0.25, 0.16 / 0.25, 0] },
        // top_k 3 renormalizes to 0.22, 0.33, 0.44 before top_p: 0.44 + 0.33 reaches 0.75 (the raw 0.7 would not).
        { new SamplingParams(seed: 1, topK: 3, topP: 0.75f), [0, 0, 3 / 7.0, 4 / 7.0, 0] },
        // A bias of ln 4 multiplies token 0's weight by 4: 0.4 out of 1.3.
        { new SamplingParams(seed: 1, logitBias: new Dictionary<int, float> { [0] = MathF.Log(4) }), [0.4 / 1.3, 0.2 / 1.3, 0.3 / 1.3, 0.4 / 1.3, 0] },
    };

    [Fact]
    public void Presence_And_Frequency_ReshapeTheDistribution()
    {
        // Token 3 appeared twice: its logit drops by 0.5 + 2 · 0.25 = 1, so its weight is 0.4 / e.
        var sampler = Create(new SamplingParams(seed: 5, presencePenalty: 0.5f, frequencyPenalty: 0.25f));
        double w3 = 0.4 / Math.E;
        double total = 0.6 + w3;
        int hits = 0;
        for (int i = 0; i < Draws; i++)
        {
            hits += sampler.Sample(Logits, [3, 3], [3, 3]).TokenId == 3 ? 1 : 0;
        }

        Assert.InRange(hits / (double)Draws, (w3 / total) - 0.01, (w3 / total) + 0.01);
    }

    [Fact]
    public void SameSeed_SameDraws_WhateverElseIsSampledInBetween()
    {
        var parameters = new SamplingParams(seed: 42, temperature: 0.8f, topP: 0.9f);
        var alone = Create(parameters);
        var batched = Create(parameters);
        var neighbour = Create(new SamplingParams(seed: 7));
        var other = Create(new SamplingParams(seed: 43, temperature: 0.8f, topP: 0.9f));
        int differences = 0;
        for (int i = 0; i < 200; i++)
        {
            neighbour.Sample(Logits, [], []);
            int token = alone.Sample(Logits, [], []).TokenId;
            Assert.Equal(token, batched.Sample(Logits, [], []).TokenId);
            differences += token == other.Sample(Logits, [], []).TokenId ? 0 : 1;
        }

        Assert.True(differences > 20, "a different seed should give different draws");
    }

    [Fact]
    public void Logprobs_AreTheRawModelLogSoftmax_SumToOne_AndAreOrdered()
    {
        float[] logits = [1000f, 999f, 997.5f, 1000.5f, 990f]; // huge values: the max must be subtracted
        var sampler = Create(new SamplingParams(seed: 3, temperature: 0.3f, topK: 2, repetitionPenalty: 1.5f, logprobs: 5,
            logitBias: new Dictionary<int, float> { [4] = 50f }));
        var result = sampler.Sample(logits, [0], []);
        var top = sampler.TopLogprobs.ToArray();

        double max = logits.Max();
        double logZ = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        Assert.Equal([3, 0, 1, 2, 4], top.Select(t => t.TokenId));
        foreach (var entry in top)
        {
            Assert.Equal(logits[entry.TokenId] - logZ, entry.Logprob, 4);
        }

        Assert.Equal(1.0, top.Sum(t => Math.Exp(t.Logprob)), 5);
        Assert.Equal(4, result.TokenId); // the bias made 4 the only top-k survivor with real mass
        Assert.Equal(top.Single(t => t.TokenId == result.TokenId).Logprob, result.Logprob!.Value, 6);
    }

    [Fact]
    public void Logprobs_NullGivesNone_ZeroGivesOnlyTheSampledTokens()
    {
        var none = Create(new SamplingParams(temperature: 0));
        Assert.Null(none.Sample(Logits, [], []).Logprob);
        Assert.Equal(0, none.TopLogprobs.Length);

        var sampledOnly = Create(new SamplingParams(temperature: 0, logprobs: 0));
        Assert.Equal(Math.Log(0.4), sampledOnly.Sample(Logits, [], []).Logprob!.Value, 5);
        Assert.Equal(0, sampledOnly.TopLogprobs.Length);
    }

    [Fact]
    public void LargeVocabulary_TopKDrawsOnlyAmongTheKLargest()
    {
        var random = new Random(8);
        float[] logits = [.. Enumerable.Range(0, 151_936).Select(_ => (float)(random.NextDouble() * 10))];
        var topK = Enumerable.Range(0, logits.Length).OrderByDescending(t => logits[t]).Take(20).ToHashSet();
        var sampler = new RequestSampler(new SamplingParams(seed: 2, topK: 20), logits.Length, []);
        var seen = new HashSet<int>();
        for (int i = 0; i < 400; i++)
        {
            int token = sampler.Sample(logits, [], []).TokenId;
            Assert.Contains(token, topK);
            seen.Add(token);
        }

        Assert.True(seen.Count > 10, "draws should spread over the kept set");
    }

    [Fact]
    public void SteadyStateSampling_AllocatesNothing()
    {
        var random = new Random(4);
        float[] logits = [.. Enumerable.Range(0, 151_936).Select(_ => (float)(random.NextDouble() * 10))];
        int[] prompt = [.. Enumerable.Range(0, 500).Select(_ => random.Next(logits.Length))];
        int[] output = [.. Enumerable.Range(0, 100).Select(_ => random.Next(logits.Length))];
        var parameters = new SamplingParams(seed: 1, temperature: 0.6f, topP: 0.95f, topK: 50, minP: 0.01f, repetitionPenalty: 1.1f,
            presencePenalty: 0.2f, frequencyPenalty: 0.1f, logprobs: 5, minTokens: 200, maxTokens: 300,
            logitBias: new Dictionary<int, float> { [5] = 1f });
        var sampler = new RequestSampler(parameters, logits.Length, [151_643]);
        sampler.Sample(logits, prompt, output); // sizes the scratch
        Assert.Equal(0, SteadyAllocations.Of(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                sampler.Sample(logits, prompt, output);
            }
        }));
    }

    [Fact]
    public void OutOfVocabularyIds_AndWrongRowLengths_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new RequestSampler(new SamplingParams(logitBias: new Dictionary<int, float> { [5] = 1f }), 5, []));
        Assert.Throws<ArgumentException>(() => new RequestSampler(new SamplingParams(), 5, [9]));
        var sampler = Create(new SamplingParams());
        Assert.Throws<ArgumentException>(() => sampler.Sample(new float[4], [], []));
    }

    private static RequestSampler Create(SamplingParams parameters, int vocab = 5) => new(parameters, vocab, vocab > 4 ? Eos : []);
}
