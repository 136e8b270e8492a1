namespace SharpServe.Engine.Sampling;

/// <summary>
/// One draw from one row of a step's logits, prepared on the host without the logits (so a GPU backend can run it where
/// the logits are): the request's settings, its sparse logit edits, and the uniform number the draw uses. The backend
/// fills <see cref="Token"/>, <see cref="Logprob"/> and <see cref="Top"/>. One object per sampler, reused every step.
/// </summary>
/// <remarks>
/// The draw, on processed logits p (raw logits with <see cref="Edits"/> applied):
/// greedy (<see cref="Greedy"/>): the lowest index of max p. Otherwise the kept set is p ≥ floor and p &gt; −∞, where
/// floor = max(max p + T·ln(min_p) when min_p &gt; 0, the k-th largest p when 0 &lt; top_k &lt; vocab); weights
/// w = exp((p − max p) / T) over the kept set; when top_p &lt; 1 the kept set shrinks to w ≥ c, c the largest weight with
/// Σ_{w ≥ c} w ≥ top_p · Σ w (ties at c all kept); the token is the first in index order whose cumulative kept weight
/// reaches <see cref="Uniform"/> · Σ kept w (or the last kept one when rounding leaves the target past the sum). A
/// weight that underflows to 0 is never drawn: c is at least the smallest positive float. Logprobs are vLLM's raw_logprobs: log-softmax of the raw row; the top n are
/// best first, ties to the lower id.
/// </remarks>
public sealed class SamplingRow
{
    private LogitEdit[] _edits = [];
    private TokenLogprob[] _top = [];

    /// <summary>Which row of the step's logits ([rows, vocab]) this draw reads.</summary>
    public int LogitsRow { get; set; }

    /// <summary>Greedy decoding: temperature below vLLM's 1e-5.</summary>
    public bool Greedy { get; set; }

    public float Temperature { get; set; }

    /// <summary>0: off; else keep the k largest (ties kept). Values ≥ the vocabulary are off too.</summary>
    public int TopK { get; set; }

    public float TopP { get; set; }

    public float MinP { get; set; }

    public float RepetitionPenalty { get; set; }

    public float PresencePenalty { get; set; }

    public float FrequencyPenalty { get; set; }

    /// <summary>The draw's uniform number in [0, 1), from the request's own generator (unused when greedy).</summary>
    public double Uniform { get; set; }

    /// <summary>-1: no logprobs; 0: the sampled token's; n: also the top n.</summary>
    public int Logprobs { get; set; }

    /// <summary>The edited tokens, each once.</summary>
    public ReadOnlySpan<LogitEdit> Edits => _edits.AsSpan(0, EditCount);

    public int EditCount { get; private set; }

    /// <summary>Result: the drawn token.</summary>
    public int Token { get; set; }

    /// <summary>Result: log p(token) when <see cref="Logprobs"/> ≥ 0.</summary>
    public float Logprob { get; set; }

    /// <summary>Result: the top <see cref="Logprobs"/> tokens, written by the backend.</summary>
    public Span<TokenLogprob> Top => _top.AsSpan(0, Math.Max(Logprobs, 0));

    /// <summary>Empties the edits and sizes the result buffer for <see cref="Logprobs"/>.</summary>
    public void ClearEdits()
    {
        EditCount = 0;
        if (_top.Length < Logprobs)
        {
            _top = new TokenLogprob[Logprobs];
        }
    }

    /// <summary>The <paramref name="index"/>-th edit, for the builder to amend in place.</summary>
    internal ref LogitEdit EditAt(int index) => ref _edits[index];

    public void AddEdit(LogitEdit edit)
    {
        if (EditCount == _edits.Length)
        {
            Array.Resize(ref _edits, Math.Max(16, _edits.Length * 2));
        }

        _edits[EditCount++] = edit;
    }
}
