using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class PenaltiesTests
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

        var penalties = new Penalties(repetition, presence, frequency);
        for (int call = 0; call < 2; call++) // the second call catches counts not cleared by the first
        {
            float[] actual = [.. logits];
            penalties.Apply(actual, prompt, output);
            for (int t = 0; t < logits.Length; t++)
            {
                Assert.Equal(expected[t], actual[t], 5);
            }
        }
    }

    [Fact]
    public void Repetition_DividesPositive_MultipliesNegative()
    {
        float[] logits = [2f, -2f, 2f];
        new Penalties(2f, 0f, 0f).Apply(logits, [0], [1]);
        Assert.Equal([1f, -4f, 2f], logits);
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
