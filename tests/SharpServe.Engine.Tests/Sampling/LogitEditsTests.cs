using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class LogitEditsTests
{
    [Theory]
    [InlineData(1.3f, 0.5f, 0.25f)]
    [InlineData(0.7f, -1f, 2f)]
    [InlineData(1f, 0f, 0.4f)]
    public void MatchesANaiveReference_AndLeavesNoStateBehind(float repetition, float presence, float frequency)
    {
        var random = new Random(1);
        float[] logits = [.. Enumerable.Range(0, 40).Select(_ => (float)((random.NextDouble() * 8) - 4))];
        int[] prompt = [.. Enumerable.Range(0, 30).Select(_ => random.Next(20))];
        int[] output = [.. Enumerable.Range(0, 30).Select(_ => random.Next(10, 30))];
        float[] expected = Reference(logits, prompt, output, repetition, presence, frequency);

        var parameters = new SamplingParams(repetitionPenalty: repetition, presencePenalty: presence, frequencyPenalty: frequency);
        var edits = new LogitEdits(parameters, []);
        var row = new SamplingRow();
        for (int call = 0; call < 2; call++) // the second call catches marks and counts not cleared by the first
        {
            edits.Build(row, logits.Length, prompt, output);
            float[] actual = Processed(logits, row, parameters);
            for (int t = 0; t < logits.Length; t++)
            {
                Assert.Equal(expected[t], actual[t], 5);
            }
        }
    }

    [Fact]
    public void Repetition_DividesPositive_MultipliesNegative()
    {
        var parameters = new SamplingParams(repetitionPenalty: 2f);
        var row = new SamplingRow();
        new LogitEdits(parameters, []).Build(row, 3, [0], [1]);
        Assert.Equal([1f, -4f, 2f], Processed([2f, -2f, 2f], row, parameters));
    }

    [Fact]
    public void BiasMaskAndPenalties_MeetInOneEditPerToken_InVllmOrder()
    {
        // Token 1 is biased, a held-back stop token and seen in the output; token 2 only biased; token 3 only seen.
        var parameters = new SamplingParams(repetitionPenalty: 2f, frequencyPenalty: 0.5f, logitBias: new Dictionary<int, float> { [1] = 3f, [2] = -1f }, minTokens: 5);
        var row = new SamplingRow();
        new LogitEdits(parameters, [1]).Build(row, 5, [3], [1, 1]);
        Assert.Equal([1, 2, 3], row.Edits.ToArray().Select(e => e.Token).Order());
        Assert.Equal([1f, float.NegativeInfinity, 0f, -2f, 1f], Processed([1f, 4f, 1f, -1f, 1f], row, parameters));

        // Past min_tokens the mask lifts: (4 + 3) / 2 − 0.5 · 2 = 2.5.
        new LogitEdits(parameters, [1]).Build(row, 5, [3], [1, 1, 0, 0, 0]);
        Assert.Equal(2.5f, Processed([1f, 4f, 1f, -1f, 1f], row, parameters)[1]);
    }

    [Fact]
    public void PlainRequest_HasNoEdits()
    {
        var row = new SamplingRow();
        new LogitEdits(new SamplingParams(), [0]).Build(row, 4, [1, 2], [3]);
        Assert.Equal(0, row.EditCount);
    }

    private static float[] Processed(float[] logits, SamplingRow row, SamplingParams parameters)
    {
        float[] processed = [.. logits];
        foreach (var edit in row.Edits)
        {
            processed[edit.Token] = edit.Apply(logits[edit.Token], parameters.RepetitionPenalty, parameters.PresencePenalty, parameters.FrequencyPenalty);
        }

        return processed;
    }

    /// <summary>vLLM's apply_penalties, token by token.</summary>
    private static float[] Reference(float[] logits, int[] prompt, int[] output, float repetition, float presence, float frequency)
    {
        var result = new float[logits.Length];
        for (int t = 0; t < logits.Length; t++)
        {
            int count = output.Count(o => o == t);
            float logit = logits[t];
            if (count > 0 || prompt.Contains(t))
            {
                logit = logit > 0 ? logit / repetition : logit * repetition;
            }

            result[t] = logit - (frequency * count) - (count > 0 ? presence : 0);
        }

        return result;
    }
}
