namespace SharpServe.Engine.Sampling;

/// <summary>
/// One token whose logit a request changes before the draw, in vLLM V1's order: y = raw + <see cref="Bias"/>; −∞ when
/// <see cref="Masked"/> (min_tokens holds back a stop token); then, when <see cref="Penalized"/> (penalties active and the
/// token seen in prompt or output), repetition (y &gt; 0 ? y / r : y · r), y −= frequency · <see cref="OutputCount"/>, and
/// y −= presence once when <see cref="OutputCount"/> &gt; 0. Tokens without an edit keep their raw logit.
/// </summary>
public readonly record struct LogitEdit(int Token, float Bias, bool Masked, bool Penalized, int OutputCount)
{
    /// <summary>The edited logit, computed in the order the CPU and device samplers both use.</summary>
    public float Apply(float raw, float repetition, float presence, float frequency)
    {
        float y = raw + Bias;
        if (Masked)
        {
            y = float.NegativeInfinity;
        }

        if (Penalized)
        {
            y = y > 0 ? y / repetition : y * repetition;
            y -= frequency * OutputCount;
            y -= OutputCount > 0 ? presence : 0;
        }

        return y;
    }
}
