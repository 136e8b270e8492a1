using System.Threading.Channels;
using SharpServe.Engine.Sampling;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// A request the engine is serving: its sequence, sampler and finish rules, and the text pipeline that turns
/// each sampled token into an output (detokenize, then hold back text a stop string may still claim).
/// </summary>
internal sealed class ActiveRequest
{
    private readonly FinishChecker _finish;
    private readonly StreamingDetokenizer? _detokenizer;
    private readonly StopStringMatcher _stops;
    private readonly int _maxModelLen;

    public ActiveRequest(EngineRequest request, Sequence sequence, int vocabSize, IReadOnlyList<int> eosTokenIds, Qwen2Tokenizer? tokenizer, int maxModelLen, RequestTimer timer)
    {
        SamplingParams parameters = request.SamplingParams;
        if (tokenizer is null && parameters.Stop.Count > 0)
        {
            throw new ArgumentException("stop strings need a tokenizer, and the model has none");
        }

        Request = request;
        Sequence = sequence;
        Sampler = new RequestSampler(parameters, vocabSize, eosTokenIds);
        _finish = new FinishChecker(parameters, eosTokenIds);
        _detokenizer = tokenizer is null ? null : new StreamingDetokenizer(tokenizer, parameters.SkipSpecialTokens);
        _stops = new StopStringMatcher(parameters.Stop, parameters.IncludeStopStrInOutput);
        _maxModelLen = maxModelLen;
        Timer = timer;
    }

    public EngineRequest Request { get; }

    public Sequence Sequence { get; }

    public RequestSampler Sampler { get; }

    public RequestTimer Timer { get; }

    public Channel<RequestOutput> Output { get; } = Channel.CreateUnbounded<RequestOutput>(new UnboundedChannelOptions { SingleWriter = true });

    /// <summary>Appends the sampled token and describes it; the output is final when it carries a finish reason.</summary>
    public RequestOutput Append(SampledToken sampled)
    {
        int token = sampled.TokenId;
        Sequence.OutputIds.Add(token);
        int count = Sequence.OutputIds.Count;
        string delta = _detokenizer?.Push(token) ?? "";
        // Stop strings only count once the output is past min_tokens (FinishChecker's rule), so earlier text bypasses the matcher.
        StopMatch match = count > Request.SamplingParams.MinTokens ? _stops.Push(delta) : new StopMatch(delta, null);
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
        return new RequestOutput(Request.Id, [token], text, logprobs, reason, new Usage(Sequence.PromptIds.Length, count));
    }
}
