using System.Runtime.InteropServices;
using System.Threading.Channels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Scheduling;

/// <summary>
/// The continuous-batching engine: one dedicated thread loops schedule → execute (one forward pass over
/// every scheduled chunk) → update (sample, commit K/V, finish, free). Submissions and aborts reach that
/// thread through a channel, so the scheduler, block manager and runner are only ever touched by it; with
/// no work the thread blocks on the channel and uses no CPU.
/// </summary>
public sealed partial class LlmEngine : IDisposable
{
    private readonly LoadedModel _model;
    private readonly SchedulerConfig _config;
    private readonly KvBlockManager _blocks;
    private readonly ModelRunner _runner;
    private readonly Scheduler _scheduler;
    private readonly Channel<EngineCommand> _inbox = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, ActiveRequest> _byRequestId = [];
    private readonly Dictionary<int, ActiveRequest> _bySequenceId = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly IEngineMetricsSink _metrics;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private int _liveRequests; // submitted and not yet ended; the admission limit, touched with Interlocked
    private int _lastSequenceId;
    private float[] _logits = [];
    private long _promptTokens;
    private long _generationTokens;
    private long _computedPromptTokens;
    private volatile EngineStats _stats;

    public LlmEngine(LoadedModel model, SchedulerConfig config, int kvBlocks, bool enablePrefixCaching = true)
        : this(model, config, kvBlocks, KvCacheDType.Float32, enablePrefixCaching, NullEngineMetricsSink.Instance)
    {
    }

    /// <summary>
    /// An engine whose KV cache holds <paramref name="kvBlocks"/> blocks of <paramref name="kvCacheDType"/> elements, reporting request
    /// latencies to <paramref name="metrics"/>, timed by <paramref name="time"/> (default the system clock).
    /// </summary>
    public LlmEngine(LoadedModel model, SchedulerConfig config, int kvBlocks, KvCacheDType kvCacheDType, bool enablePrefixCaching, IEngineMetricsSink metrics, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (config.MaxModelLen > model.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"max model length {config.MaxModelLen} exceeds the model's {model.Config.MaxPositionEmbeddings} positions", nameof(config));
        }

        _model = model;
        _config = config;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _blocks = new KvBlockManager(kvBlocks, enablePrefixCaching: enablePrefixCaching);
        _runner = new ModelRunner(model.Model, new KvCachePool(model.Config, kvBlocks, _blocks.BlockSize, kvCacheDType));
        _scheduler = new Scheduler(config, _blocks);
        _stats = Snapshot();
        _thread = new Thread(Run) { IsBackground = true, Name = "SharpServe engine" };
        _thread.Start();
    }

    /// <summary>The latest counters, published by the engine thread after every step and every finished request.</summary>
    public EngineStats Stats => _stats;

    /// <summary>Blocks of the KV cache.</summary>
    public int KvBlockCount => _blocks.BlockCount;

    /// <summary>
    /// Queues a request. Its outputs stream through the returned reader, which completes after the output
    /// carrying a finish reason, or without one when the request is aborted.
    /// </summary>
    /// <exception cref="RequestTooLongException">The request can never fit; nothing was taken.</exception>
    /// <exception cref="EngineQueueFullException">Max running plus max queued requests are already live.</exception>
    public ChannelReader<RequestOutput> Submit(EngineRequest request)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        _scheduler.EnsureFits(request.PromptIds.Length, request.SamplingParams.MaxTokens);
        EnsureTokenIds(request);
        var sequence = new Sequence(Interlocked.Increment(ref _lastSequenceId), [.. request.PromptIds], request.SamplingParams.MaxTokens);
        var active = new ActiveRequest(request, sequence, _model.Config.VocabSize, _model.Checkpoint.Generation.EosTokenIds, _model.Tokenizer, _config.MaxModelLen, new RequestTimer(_time, _metrics));
        if (Interlocked.Increment(ref _liveRequests) > _config.MaxNumSeqs + _config.MaxQueue)
        {
            Interlocked.Decrement(ref _liveRequests);
            throw new EngineQueueFullException($"{_config.MaxNumSeqs} running and {_config.MaxQueue} waiting requests are already queued");
        }

        if (!_inbox.Writer.TryWrite(new SubmitCommand(active)))
        {
            Interlocked.Decrement(ref _liveRequests);
            throw new ObjectDisposedException(nameof(LlmEngine), "the engine has stopped");
        }

        return active.Output.Reader;
    }

    /// <summary>
    /// A bad id must be refused here, on the caller's thread: inside a batched step it would fail
    /// every other request in the batch and stop the engine.
    /// </summary>
    private void EnsureTokenIds(EngineRequest request)
    {
        int vocabulary = _model.Config.VocabSize;
        foreach (int id in request.PromptIds)
        {
            if ((uint)id >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(request), $"request {request.Id}: token id {id} is outside the vocabulary (0..{vocabulary - 1})");
            }
        }
    }

    /// <summary>Ends the request if it is still live, freeing its blocks; its reader completes without a finish reason.</summary>
    public void Abort(string requestId) => _inbox.Writer.TryWrite(new AbortCommand(requestId));

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _inbox.Writer.TryComplete();
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        Exception ending = new ObjectDisposedException(nameof(LlmEngine), "the engine has stopped");
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                while (_inbox.Reader.TryRead(out EngineCommand? command))
                {
                    Apply(command);
                }

                if (_scheduler.HasWork)
                {
                    Step();
                }
                else if (!WaitForCommand())
                {
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            // A failed forward pass leaves the cache in an unknown state: fail every request and refuse new ones.
            ending = exception;
            _inbox.Writer.TryComplete(exception);
        }

        foreach (ActiveRequest active in _byRequestId.Values.ToList())
        {
            End(active, ending);
        }

        while (_inbox.Reader.TryRead(out EngineCommand? command))
        {
            (command as SubmitCommand)?.Request.Output.Writer.TryComplete(ending);
        }
    }

    /// <summary>Blocks the idle thread until a command arrives; false once the engine is stopping.</summary>
    private bool WaitForCommand()
    {
        try
        {
            return _inbox.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Apply(EngineCommand command)
    {
        switch (command)
        {
            case SubmitCommand { Request: var active } when !_byRequestId.TryAdd(active.Request.Id, active):
                Interlocked.Decrement(ref _liveRequests);
                active.Output.Writer.TryComplete(new ArgumentException($"request id '{active.Request.Id}' is already live"));
                break;
            case SubmitCommand { Request: var active }:
                _bySequenceId.Add(active.Sequence.Id, active);
                _scheduler.Add(active.Sequence);
                _promptTokens += active.Sequence.PromptIds.Length;
                break;
            case AbortCommand { RequestId: var id } when _byRequestId.TryGetValue(id, out ActiveRequest? active):
                End(active, error: null);
                break;
        }
    }

    private void Step()
    {
        List<ScheduledChunk> chunks = _scheduler.Schedule();
        if (chunks.Count == 0)
        {
            throw new InvalidOperationException("the scheduler had work but scheduled nothing");
        }

        var entries = new BatchEntry[chunks.Count];
        int rows = 0;
        for (int i = 0; i < chunks.Count; i++)
        {
            var (sequence, start, count) = chunks[i];
            _bySequenceId[sequence.Id].Timer.Scheduled();
            entries[i] = new BatchEntry(sequence.State!, sequence.Tokens(start, count), chunks[i].CompletesSequence);
            rows += chunks[i].CompletesSequence ? 1 : 0;
            _computedPromptTokens += Math.Max(0, Math.Min(start + count, sequence.PromptIds.Length) - start);
        }

        int vocab = _model.Config.VocabSize;
        if (_logits.Length < rows * vocab)
        {
            _logits = new float[rows * vocab];
        }

        _runner.Step(entries, allPositions: false, _logits.AsSpan(0, rows * vocab));
        int row = 0;
        for (int i = 0; i < chunks.Count; i++)
        {
            Sequence sequence = chunks[i].Sequence;
            _blocks.CommitTokens(sequence.Id, entries[i].Tokens);
            if (chunks[i].CompletesSequence)
            {
                ActiveRequest active = _bySequenceId[sequence.Id];
                var sampled = active.Sampler.Sample(_logits.AsSpan(row++ * vocab, vocab), sequence.PromptIds, CollectionsMarshal.AsSpan(sequence.OutputIds));
                _generationTokens++;
                RequestOutput output = active.Append(sampled);
                active.Timer.Token();
                active.Output.Writer.TryWrite(output);
                if (output.FinishReason is { } reason)
                {
                    active.Timer.Finished(reason);
                    End(active, error: null);
                }
            }
        }

        _stats = Snapshot();
    }

    /// <summary>Frees the request's blocks, publishes the counters, then completes its reader, so a reader that saw completion sees the blocks freed.</summary>
    private void End(ActiveRequest active, Exception? error)
    {
        _scheduler.Remove(active.Sequence);
        _byRequestId.Remove(active.Request.Id);
        _bySequenceId.Remove(active.Sequence.Id);
        Interlocked.Decrement(ref _liveRequests);
        _stats = Snapshot();
        active.Output.Writer.TryComplete(error);
    }

    private EngineStats Snapshot() => new(
        _scheduler.RunningCount,
        _scheduler.WaitingCount,
        _blocks.UsagePercent,
        _blocks.PrefixQueries,
        _blocks.PrefixHits,
        _scheduler.Preemptions,
        _promptTokens,
        _generationTokens,
        _computedPromptTokens,
        _blocks.FreeBlockCount);

    private abstract record EngineCommand;

    private sealed record SubmitCommand(ActiveRequest Request) : EngineCommand;

    private sealed record AbortCommand(string RequestId) : EngineCommand;
}
