using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// One of the n completions of a request the engine is serving: its sequence, sampler and finish rules, and
/// the text pipeline that turns each sampled token into an output (detokenize, then hold back text a stop
/// string may still claim).
/// </summary>
internal sealed class ActiveChoice
{
    private readonly FinishChecker _finish;
    private readonly StreamingDetokenizer? _detokenizer;
    private readonly StopStringMatcher _stops;
    private readonly int _maxModelLen;

    public ActiveChoice(ActiveRequest owner, int index, Sequence sequence, int vocabSize, IReadOnlyList<int> eosTokenIds, Qwen2Tokenizer? tokenizer, int maxModelLen, RequestTimer timer)
    {
        SamplingParams parameters = owner.Request.SamplingParams;
        if (tokenizer is null && parameters.Stop.Count > 0)
        {
            throw new ArgumentException("stop strings need a tokenizer, and the model has none");
        }

        Owner = owner;
        Index = index;
        Sequence = sequence;
        Sampler = new RequestSampler(parameters, vocabSize, eosTokenIds, index);
        _finish = new FinishChecker(parameters, eosTokenIds);
        _detokenizer = tokenizer is null ? null : new StreamingDetokenizer(tokenizer, parameters.SkipSpecialTokens);
        _stops = new StopStringMatcher(parameters.Stop, parameters.IncludeStopStrInOutput);
        _maxModelLen = maxModelLen;
        Timer = timer;
    }

    public ActiveRequest Owner { get; }

    /// <summary>The choice's position among the request's n (the OpenAI API's choices[].index).</summary>
    public int Index { get; }

    public Sequence Sequence { get; }

    public RequestSampler Sampler { get; }

    public RequestTimer Timer { get; }

    /// <summary>Appends the sampled token and describes it; the output is final when it carries a finish reason.</summary>
    public RequestOutput Append(SampledToken sampled)
    {
        int token = sampled.TokenId;
        Sequence.OutputIds.Add(token);
        int count = Sequence.OutputIds.Count;
        string delta = _detokenizer?.Push(token) ?? "";
        // Stop strings only count once the output is past min_tokens (FinishChecker's rule), so earlier text bypasses the matcher.
        StopMatch match = count > Owner.Request.SamplingParams.MinTokens ? _stops.Push(delta) : new StopMatch(delta, null);
        FinishReason? reason = _finish.Check(token, count, match.Stopped)
            ?? (Sequence.Length >= _maxModelLen ? FinishReason.Length : null);
        string text = match.Text;
        if (reason is not null && !match.Stopped && _detokenizer is not null)
        {
            StopMatch tail = _stops.Push(_detokenizer.Flush());
            text += tail.Text + (tail.Stopped ? "" : _stops.Flush());
        }

        GeneratedLogprob[]? logprobs = sampled.Logprob is float logprob
            ? [new GeneratedLogprob(token, logprob, [.. Sampler.TopLogprobs])]
            : null;
        return new RequestOutput(Owner.Request.Id, Index, [token], text, logprobs, reason, new Usage(Sequence.PromptIds.Length, count));
    }
}
