namespace SharpServe.Engine.Sampling;

/// <summary>
/// vLLM's repetition, frequency and presence penalties on one logits row. Repetition applies to tokens seen
/// in prompt or output (positive logits divided, others multiplied, so the token always loses ground);
/// frequency subtracts penalty × count and presence subtracts penalty once, for output tokens only.
/// </summary>
/// <remarks>Counts live in vocabulary-sized arrays reused across calls and cleared by walking the same ids.</remarks>
internal sealed class Penalties(float repetition, float presence, float frequency)
{
    private int[] _outputCounts = [];
    private bool[] _seen = [];

    public bool Active => repetition != 1 || presence != 0 || frequency != 0;

    public void Apply(Span<float> logits, ReadOnlySpan<int> promptIds, ReadOnlySpan<int> outputIds)
    {
        if (_seen.Length < logits.Length)
        {
            _outputCounts = new int[logits.Length];
            _seen = new bool[logits.Length];
        }

        foreach (int token in promptIds)
        {
            _seen[token] = true;
        }

        foreach (int token in outputIds)
        {
            _seen[token] = true;
            _outputCounts[token]++;
        }

        // Each distinct token is penalized once: the first visit does the work and clears its marks.
        Penalize(logits, promptIds);
        Penalize(logits, outputIds);
    }

    private void Penalize(Span<float> logits, ReadOnlySpan<int> ids)
    {
        foreach (int token in ids)
        {
            if (!_seen[token])
            {
                continue;
            }

            float logit = logits[token];
            logit = logit > 0 ? logit / repetition : logit * repetition;
            int count = _outputCounts[token];
            logit -= frequency * count;
            logit -= count > 0 ? presence : 0;
            logits[token] = logit;
            _seen[token] = false;
            _outputCounts[token] = 0;
        }
    }
}
