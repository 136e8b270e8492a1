namespace SharpServe.Engine.Sampling;

/// <summary>The token drawn for one step and, when the request asked for logprobs, its log-probability.</summary>
public readonly record struct SampledToken(int TokenId, float? Logprob);

/// <summary>
/// One request's logits processing and draw, in vLLM V1's order: logit_bias and min_tokens masking, then
/// repetition/frequency/presence penalties, then greedy (temperature below 1e-5) or temperature, min_p,
/// top_k, top_p and a draw from the request's own seeded generator, so its tokens do not depend on what
/// else shares the batch. Scratch buffers are sized on first use; steady-state calls allocate nothing.
/// </summary>
/// <remarks>
/// Logprobs follow vLLM's default <c>logprobs_mode = "raw_logprobs"</c>: log-softmax of the model's raw
/// logits, before bias, penalties, temperature and truncation. Clients comparing with vLLM get the same
/// numbers, and a token masked by top_k still gets a finite logprob.
/// </remarks>
public sealed class RequestSampler
{
    // vLLM's _SAMPLING_EPS: temperatures below it are greedy, avoiding division by a near-zero temperature.
    private const float GreedyBelow = 1e-5f;

    private readonly SamplingParams _params;
    private readonly int _vocab;
    private readonly int[] _biasTokens;
    private readonly float[] _biasValues;
    private readonly int[] _minTokensMasked;
    private readonly Penalties _penalties;
    private readonly Random _random;
    private readonly Nucleus _nucleus = new();
    private readonly TopLogprobs _logprobs = new();
    private float[] _processed = [];
    private float[] _kept = [];
    private int[] _keptTokens = [];

    /// <param name="eosTokenIds">The model's end-of-sequence ids, masked until min_tokens unless ignore_eos.</param>
    /// <param name="choice">Which of the request's n choices this sampler draws for (its seed is <see cref="SamplingParams.SeedOfChoice"/>).</param>
    public RequestSampler(SamplingParams parameters, int vocabSize, IReadOnlyList<int> eosTokenIds, int choice = 0)
    {
        _params = parameters;
        _vocab = vocabSize;
        _biasTokens = [.. parameters.LogitBias.Keys];
        _biasValues = [.. parameters.LogitBias.Values];
        _minTokensMasked = [.. StopTokens(parameters, eosTokenIds)];
        foreach (int token in _biasTokens.Concat(_minTokensMasked))
        {
            if (token >= vocabSize)
            {
                throw new ArgumentException($"token id {token} is outside the vocabulary of {vocabSize}");
            }
        }

        _penalties = new Penalties(parameters.RepetitionPenalty, parameters.PresencePenalty, parameters.FrequencyPenalty);
        _random = parameters.SeedOfChoice(choice) is int seed ? new Random(seed) : new Random();
    }

    /// <summary>The last call's top-n logprobs, best first; empty unless the request asked for n ≥ 1.</summary>
    public ReadOnlySpan<TokenLogprob> TopLogprobs => _params.Logprobs > 0 ? _logprobs.Top : [];

    /// <summary>Ids that end generation: stop_token_ids plus EOS unless ignore_eos (vLLM's all_stop_token_ids).</summary>
    internal static IEnumerable<int> StopTokens(SamplingParams parameters, IReadOnlyList<int> eosTokenIds) =>
        parameters.IgnoreEos ? parameters.StopTokenIds.Distinct() : parameters.StopTokenIds.Concat(eosTokenIds).Distinct();

    public SampledToken Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptIds, ReadOnlySpan<int> outputIds)
    {
        if (logits.Length != _vocab)
        {
            throw new ArgumentException($"logits row has {logits.Length} entries, the vocabulary {_vocab}");
        }

        EnsureCapacity();
        Span<float> processed = _processed.AsSpan(0, _vocab);
        logits.CopyTo(processed);
        for (int i = 0; i < _biasTokens.Length; i++)
        {
            processed[_biasTokens[i]] += _biasValues[i];
        }

        if (outputIds.Length < _params.MinTokens)
        {
            foreach (int stopToken in _minTokensMasked)
            {
                processed[stopToken] = float.NegativeInfinity;
            }
        }

        if (_penalties.Active)
        {
            _penalties.Apply(processed, promptIds, outputIds);
        }

        int token = _params.Temperature < GreedyBelow ? Greedy.ArgMax(processed) : Draw(processed);
        if (_params.Logprobs is not int n)
        {
            return new SampledToken(token, null);
        }

        return new SampledToken(token, _logprobs.Compute(logits, token, n));
    }

    private int Draw(Span<float> processed)
    {
        float temperature = _params.Temperature;
        float max = processed[Greedy.ArgMax(processed)];

        // min_p keeps p ≥ min_p · p_max of softmax(logits / T), i.e. logit ≥ max + T · ln(min_p).
        float floor = _params.MinP > 0 ? max + (temperature * MathF.Log(_params.MinP)) : float.NegativeInfinity;

        // top_k keeps every token at least as large as the k-th largest (ties kept, as vLLM's threshold mask does).
        if (_params.TopK > 0 && _params.TopK < _vocab)
        {
            Span<float> scratch = _kept.AsSpan(0, _vocab);
            processed.CopyTo(scratch);
            floor = MathF.Max(floor, SelectKth.Largest(scratch, _params.TopK));
        }

        // Compact the survivors so masked (-inf) tokens never reach the draw; top_p then renormalizes over them.
        int count = 0;
        for (int i = 0; i < processed.Length; i++)
        {
            if (processed[i] >= floor && processed[i] > float.NegativeInfinity)
            {
                _kept[count] = processed[i];
                _keptTokens[count] = i;
                count++;
            }
        }

        ReadOnlySpan<float> kept = _kept.AsSpan(0, count);
        int index = _params.TopP < 1
            ? _nucleus.Sample(kept, max, temperature, _params.TopP, _random.NextDouble())
            : DrawSoftmax(kept, max, temperature, _random.NextDouble());
        return _keptTokens[index];
    }

    private static int DrawSoftmax(ReadOnlySpan<float> logits, float max, float temperature, double uniform)
    {
        double total = 0;
        foreach (float logit in logits)
        {
            total += Math.Exp((logit - max) / temperature);
        }

        double target = uniform * total;
        double cumulative = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double weight = Math.Exp((logits[i] - max) / temperature);
            cumulative += weight;
            if (weight > 0 && cumulative >= target)
            {
                return i;
            }
        }

        return Greedy.ArgMax(logits); // rounding left the target a hair past the total
    }

    private void EnsureCapacity()
    {
        if (_processed.Length < _vocab)
        {
            _processed = new float[_vocab];
            _kept = new float[_vocab];
            _keptTokens = new int[_vocab];
        }
    }
}
