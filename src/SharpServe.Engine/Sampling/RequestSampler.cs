namespace SharpServe.Engine.Sampling;

/// <summary>The token drawn for one step and, when the request asked for logprobs, its log-probability.</summary>
public readonly record struct SampledToken(int TokenId, float? Logprob);

/// <summary>
/// One request's logits processing and draw, in vLLM V1's order: logit_bias and min_tokens masking, then
/// repetition/frequency/presence penalties, then greedy (temperature below 1e-5) or temperature, min_p,
/// top_k, top_p and a draw from the request's own seeded generator, so its tokens do not depend on what
/// else shares the batch. <see cref="Prepare"/> turns the request's state into a <see cref="SamplingRow"/> without the
/// logits; the backend runs the row where the logits are (see <see cref="SamplingRow"/> for the exact draw).
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
    private readonly LogitEdits _edits;
    private readonly Random _random;
    private HostSampler? _host;

    /// <param name="eosTokenIds">The model's end-of-sequence ids, masked until min_tokens unless ignore_eos.</param>
    /// <param name="choice">Which of the request's n choices this sampler draws for (its seed is <see cref="SamplingParams.SeedOfChoice"/>).</param>
    public RequestSampler(SamplingParams parameters, int vocabSize, IReadOnlyList<int> eosTokenIds, int choice = 0)
    {
        _params = parameters;
        _vocab = vocabSize;
        int[] minTokensMasked = [.. StopTokens(parameters, eosTokenIds)];
        foreach (int token in parameters.LogitBias.Keys.Concat(minTokensMasked))
        {
            if (token >= vocabSize)
            {
                throw new ArgumentException($"token id {token} is outside the vocabulary of {vocabSize}");
            }
        }

        _edits = new LogitEdits(parameters, minTokensMasked);
        _random = parameters.SeedOfChoice(choice) is int seed ? new Random(seed) : new Random();
        Row = new SamplingRow
        {
            Greedy = parameters.Temperature < GreedyBelow,
            Temperature = parameters.Temperature,
            TopK = parameters.TopK > 0 ? parameters.TopK : 0,
            TopP = parameters.TopP,
            MinP = parameters.MinP,
            RepetitionPenalty = parameters.RepetitionPenalty,
            PresencePenalty = parameters.PresencePenalty,
            FrequencyPenalty = parameters.FrequencyPenalty,
            Logprobs = parameters.Logprobs ?? -1,
        };
    }

    /// <summary>This sampler's draw, reused every step: <see cref="Prepare"/> fills it, the backend runs it.</summary>
    public SamplingRow Row { get; }

    /// <summary>The last draw's top-n logprobs, best first; empty unless the request asked for n ≥ 1.</summary>
    public ReadOnlySpan<TokenLogprob> TopLogprobs => _params.Logprobs > 0 ? Row.Top : [];

    /// <summary>The last draw's result, once the backend has run <see cref="Row"/>.</summary>
    public SampledToken Result => new(Row.Token, _params.Logprobs is null ? null : Row.Logprob);

    /// <summary>Ids that end generation: stop_token_ids plus EOS unless ignore_eos (vLLM's all_stop_token_ids).</summary>
    internal static IEnumerable<int> StopTokens(SamplingParams parameters, IReadOnlyList<int> eosTokenIds) =>
        parameters.IgnoreEos ? parameters.StopTokenIds.Distinct() : parameters.StopTokenIds.Concat(eosTokenIds).Distinct();

    /// <summary>
    /// This step's draw from row <paramref name="logitsRow"/> of the step's logits: the edits this request's state asks for
    /// and, unless greedy, the next number of the request's generator (one per draw, so seeded requests repeat).
    /// </summary>
    public SamplingRow Prepare(int logitsRow, ReadOnlySpan<int> promptIds, ReadOnlySpan<int> outputIds)
    {
        Row.LogitsRow = logitsRow;
        _edits.Build(Row, _vocab, promptIds, outputIds);
        Row.Uniform = Row.Greedy ? 0 : _random.NextDouble();
        return Row;
    }

    /// <summary>Prepares and runs the draw on a host logits row: for tools and tests that hold the logits themselves.</summary>
    public SampledToken Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptIds, ReadOnlySpan<int> outputIds)
    {
        if (logits.Length != _vocab)
        {
            throw new ArgumentException($"logits row has {logits.Length} entries, the vocabulary {_vocab}");
        }

        Prepare(0, promptIds, outputIds);
        (_host ??= new HostSampler()).Sample(logits, Row);
        return Result;
    }
}
