namespace SharpServe.Engine.Sampling;

/// <summary>
/// Builds a request's sparse <see cref="LogitEdit"/>s for one step: its logit_bias tokens, the stop tokens min_tokens
/// still holds back, and (when repetition/frequency/presence penalties are active) every token seen in prompt or output
/// with its output count — each token once. Only these tokens differ from the raw logits, so a backend can apply them
/// where the logits are.
/// </summary>
/// <remarks>Token-indexed scratch arrays are sized on first use and cleared by walking the same ids, so steady-state steps allocate nothing.</remarks>
internal sealed class LogitEdits(SamplingParams parameters, int[] minTokensMasked)
{
    private readonly int[] _biasTokens = [.. parameters.LogitBias.Keys];
    private readonly float[] _biasValues = [.. parameters.LogitBias.Values];
    private int[] _outputCounts = [];
    private bool[] _seen = [];
    private int[] _editOf = []; // token → index + 1 of its edit in the row; 0: none yet

    public bool PenaltiesActive => parameters.RepetitionPenalty != 1 || parameters.PresencePenalty != 0 || parameters.FrequencyPenalty != 0;

    public void Build(SamplingRow row, int vocab, ReadOnlySpan<int> promptIds, ReadOnlySpan<int> outputIds)
    {
        row.ClearEdits();
        bool masking = outputIds.Length < parameters.MinTokens && minTokensMasked.Length > 0;
        bool penalizing = PenaltiesActive;
        if (_biasTokens.Length == 0 && !masking && !penalizing)
        {
            return;
        }

        EnsureCapacity(vocab);
        for (int i = 0; i < _biasTokens.Length; i++)
        {
            Edit(row, _biasTokens[i]) = Edit(row, _biasTokens[i]) with { Bias = _biasValues[i] };
        }

        if (masking)
        {
            foreach (int token in minTokensMasked)
            {
                Edit(row, token) = Edit(row, token) with { Masked = true };
            }
        }

        if (penalizing)
        {
            foreach (int token in outputIds)
            {
                _outputCounts[token]++;
            }

            Penalize(row, promptIds);
            Penalize(row, outputIds);
        }

        foreach (var edit in row.Edits)
        {
            _editOf[edit.Token] = 0;
            _seen[edit.Token] = false;
            _outputCounts[edit.Token] = 0;
        }
    }

    /// <summary>Each distinct token is marked once, with its output count.</summary>
    private void Penalize(SamplingRow row, ReadOnlySpan<int> ids)
    {
        foreach (int token in ids)
        {
            if (_seen[token])
            {
                continue;
            }

            _seen[token] = true;
            Edit(row, token) = Edit(row, token) with { Penalized = true, OutputCount = _outputCounts[token] };
        }
    }

    /// <summary>The row's edit of <paramref name="token"/>, added (unchanged logit) on first use.</summary>
    private ref LogitEdit Edit(SamplingRow row, int token)
    {
        if (_editOf[token] == 0)
        {
            row.AddEdit(new LogitEdit(token, 0, false, false, 0));
            _editOf[token] = row.EditCount;
        }

        return ref row.EditAt(_editOf[token] - 1);
    }

    private void EnsureCapacity(int vocab)
    {
        if (_editOf.Length < vocab)
        {
            _outputCounts = new int[vocab];
            _seen = new bool[vocab];
            _editOf = new int[vocab];
        }
    }
}
