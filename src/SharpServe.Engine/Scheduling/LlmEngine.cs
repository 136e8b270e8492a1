using System.Runtime.InteropServices;
using System.Threading.Channels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Sampling;

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
    private readonly Dictionary<int, ActiveChoice> _bySequenceId = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly IEngineMetricsSink _metrics;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private int _liveRequests; // choices submitted and not yet ended; the admission limit, touched with Interlocked
    private int _lastSequenceId;
    private readonly List<SamplingRow> _draws = [];
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
        _runner = new ModelRunner(model.Model, new KvCachePool(model.Config, kvBlocks, _blocks.BlockSize, kvCacheDType, model.Backend));
        _scheduler = new Scheduler(config, _blocks);
        _stats = Snapshot();
        MarkProgress();
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
        SamplingParams parameters = request.SamplingParams;
        _scheduler.EnsureFits(request.PromptIds.Length, parameters.MaxTokens);
        EnsureTokenIds(request);
        if (parameters.N > _config.MaxNumSeqs + _config.MaxQueue)
        {
            throw new ArgumentException($"n = {parameters.N} exceeds the {_config.MaxNumSeqs + _config.MaxQueue} sequences this engine can hold (max running plus max queued)");
        }

        var active = new ActiveRequest(request) { LiveChoices = parameters.N, AwaitingFork = parameters.N > 1 };
        active.Choices = [.. Enumerable.Range(0, parameters.N).Select(index => new ActiveChoice(
            active,
            index,
            new Sequence(Interlocked.Increment(ref _lastSequenceId), [.. request.PromptIds], parameters.MaxTokens),
            _model.Config.VocabSize,
            _model.Checkpoint.Generation.EosTokenIds,
            _model.Tokenizer,
            _config.MaxModelLen,
            new RequestTimer(_time, _metrics)))];

        // Every choice is a sequence the engine must hold, so each counts against the admission limit.
        if (Interlocked.Add(ref _liveRequests, parameters.N) > _config.MaxNumSeqs + _config.MaxQueue)
        {
            Interlocked.Add(ref _liveRequests, -parameters.N);
            throw new EngineQueueFullException($"{_config.MaxNumSeqs} running and {_config.MaxQueue} waiting sequences are already queued");
        }

        if (!_inbox.Writer.TryWrite(new SubmitCommand(active)))
        {
            Interlocked.Add(ref _liveRequests, -parameters.N);
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
        _runner.Cache.Dispose();
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
                    MarkProgress();
                }
                else if (!WaitIdle())
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

        _loopEnded = true;
        foreach (ActiveRequest active in _byRequestId.Values.ToList())
        {
            EndRequest(active, ending);
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
                Interlocked.Add(ref _liveRequests, -active.Choices.Length);
                active.Output.Writer.TryComplete(new ArgumentException($"request id '{active.Request.Id}' is already live"));
                break;
            case SubmitCommand { Request: var active }:
                foreach (ActiveChoice choice in active.Choices)
                {
                    _bySequenceId.Add(choice.Sequence.Id, choice);
                }

                // Only choice 0 computes the prompt; the others are forked from it (see Fork).
                _scheduler.Add(active.Choices[0].Sequence);
                _promptTokens += active.Request.PromptIds.Length;
                break;
            case AbortCommand { RequestId: var id } when _byRequestId.TryGetValue(id, out ActiveRequest? active):
                EndRequest(active, error: null);
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
        for (int i = 0; i < chunks.Count; i++)
        {
            var (sequence, start, count) = chunks[i];
            _bySequenceId[sequence.Id].Timer.Scheduled();
            entries[i] = new BatchEntry(sequence.State!, sequence.Tokens(start, count), chunks[i].CompletesSequence);
            _computedPromptTokens += Math.Max(0, Math.Min(start + count, sequence.PromptIds.Length) - start);
        }

        PrepareDraws(chunks);
        _runner.StepAndSample(entries, CollectionsMarshal.AsSpan(_draws));
        for (int i = 0; i < chunks.Count; i++)
        {
            Sequence sequence = chunks[i].Sequence;
            _blocks.CommitTokens(sequence.Id, entries[i].Tokens);
            if (chunks[i].CompletesSequence)
            {
                ActiveChoice choice = _bySequenceId[sequence.Id];
                if (choice.Owner.AwaitingFork)
                {
                    Fork(choice);
                }

                Emit(choice, choice.Sampler.Result);
            }
        }

        _stats = Snapshot();
    }

    /// <summary>
    /// One draw per sequence this step completes, from its logits row (rows follow the completing chunks' order); a
    /// request whose prompt just finished also draws every other choice's first token from the same row.
    /// </summary>
    private void PrepareDraws(List<ScheduledChunk> chunks)
    {
        _draws.Clear();
        int row = 0;
        foreach (var chunk in chunks)
        {
            if (!chunk.CompletesSequence)
            {
                continue;
            }

            ActiveChoice choice = _bySequenceId[chunk.Sequence.Id];
            _draws.Add(choice.Sampler.Prepare(row, chunk.Sequence.PromptIds, CollectionsMarshal.AsSpan(chunk.Sequence.OutputIds)));
            if (choice.Owner.AwaitingFork)
            {
                foreach (ActiveChoice child in choice.Owner.Choices.AsSpan(1))
                {
                    _draws.Add(child.Sampler.Prepare(row, child.Sequence.PromptIds, []));
                }
            }

            row++;
        }
    }

    /// <summary>
    /// Choice 0 has computed the prompt, and every other choice drew its first token from the same logits with its own
    /// sampler (<see cref="PrepareDraws"/>): each shares the prompt's K/V — full blocks by reference, the partly filled
    /// last block copied. A choice the pool or max_num_seqs cannot take now waits, and computes the prompt itself later.
    /// </summary>
    private void Fork(ActiveChoice parent)
    {
        ActiveRequest request = parent.Owner;
        request.AwaitingFork = false;
        var children = new List<ActiveChoice>();
        foreach (ActiveChoice child in request.Choices.AsSpan(1))
        {
            children.Add(child);
            BlockFork fork = _blocks.Fork(parent.Sequence.Id, child.Sequence.Id);
            if (fork.NeedsCopy)
            {
                _runner.Cache.CopyBlock(fork.CopySource, fork.CopyDestination);
            }

            if (fork.Succeeded)
            {
                child.Sequence.State = new SequenceState(_blocks.GetBlockTable(child.Sequence.Id), parent.Sequence.ComputedTokens);
            }
        }

        _scheduler.AddForked([.. children.Select(c => c.Sequence)]);
        foreach (var child in children)
        {
            child.Timer.Scheduled();
            Emit(child, child.Sampler.Result);
        }
    }

    /// <summary>Appends the sampled token to the choice, streams it, and ends the choice when it finished.</summary>
    private void Emit(ActiveChoice choice, SampledToken sampled)
    {
        _generationTokens++;
        RequestOutput output = choice.Append(sampled);
        choice.Timer.Token();
        choice.Owner.Output.Writer.TryWrite(output);
        if (output.FinishReason is { } reason)
        {
            choice.Timer.Finished(reason);
            End(choice, error: null);
        }
    }

    /// <summary>Ends every choice still live: an abort, or the engine failing.</summary>
    private void EndRequest(ActiveRequest request, Exception? error)
    {
        foreach (ActiveChoice choice in request.Choices)
        {
            if (_bySequenceId.ContainsKey(choice.Sequence.Id))
            {
                End(choice, error);
            }
        }
    }

    /// <summary>
    /// Frees the choice's blocks and publishes the counters; the last choice to end completes the stream, so
    /// a reader that saw completion sees every block freed.
    /// </summary>
    private void End(ActiveChoice choice, Exception? error)
    {
        _scheduler.Remove(choice.Sequence);
        _bySequenceId.Remove(choice.Sequence.Id);
        Interlocked.Decrement(ref _liveRequests);
        ActiveRequest request = choice.Owner;
        if (--request.LiveChoices > 0)
        {
            return;
        }

        _byRequestId.Remove(request.Request.Id);
        _stats = Snapshot();
        request.Output.Writer.TryComplete(error);
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
