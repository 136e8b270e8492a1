using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

/// <summary>
/// A <see cref="RequestSampler"/> with only temperature, top_p and seed set, drawing from bare logits rows
/// (no prompt, no output so far): the distribution tests need nothing else.
/// </summary>
internal sealed class TestSampler(float temperature, float topP, int seed)
{
    private readonly SamplingParams _parameters = new(temperature: temperature, topP: topP, seed: seed);
    private RequestSampler? _sampler;

    public int Sample(float[] logits)
    {
        _sampler ??= new RequestSampler(_parameters, logits.Length, []);
        return _sampler.Sample(logits, [], []).TokenId;
    }
}
