using System.Globalization;
using System.Threading.Channels;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using SharpServe.Cli.Benchmarks;
using SharpServe.Engine.Tests.Oracle;

namespace SharpServe.Bench;

/// <summary>
/// llama.cpp doing continuous batching: one LLamaSharp <see cref="BatchedExecutor"/> (one context, one
/// sequence per conversation) owned by a dedicated thread that admits new requests as conversations,
/// runs <see cref="BatchedExecutor.Infer"/>, samples every ready conversation greedily and streams its
/// token back, and disposes finished conversations so their KV cells are freed for the next request.
/// </summary>
public sealed class LlamaCppBatchedTarget : IGenerationTarget, IDisposable
{
    /// <summary>llama.cpp's own defaults for n_batch and n_ubatch (LLamaSharp's ModelParams differ, so they are set).</summary>
    private const uint LlamaCppBatch = 2048;
    private const uint LlamaCppUBatch = 512;

    private readonly BatchedExecutor _executor;
    private readonly Channel<Admission> _inbox = Channel.CreateUnbounded<Admission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;

    public LlamaCppBatchedTarget(LLamaWeights weights, ModelParams parameters)
    {
        _executor = new BatchedExecutor(weights, parameters);
        _thread = new Thread(Run) { IsBackground = true, Name = "llama.cpp batched executor" };
        _thread.Start();
    }

    /// <summary>
    /// A context for <paramref name="parallel"/> sequences of up to <paramref name="sequenceLength"/> tokens:
    /// llama.cpp splits n_ctx evenly between n_seq_max sequences (no unified KV by default), so each gets
    /// its length rounded up to 256 cells. KV type and flash attention stay at llama.cpp's defaults.
    /// </summary>
    public static ModelParams Parameters(string ggufPath, int parallel, int sequenceLength, int threads) => new(ggufPath)
    {
        ContextSize = (uint)(parallel * ((sequenceLength + 255) / 256 * 256)),
        SeqMax = (uint)parallel,
        BatchSize = LlamaCppBatch,
        UBatchSize = LlamaCppUBatch,
        Threads = threads,
        BatchThreads = threads,
        GpuLayerCount = 0,
    };

    /// <summary>What was asked of llama.cpp, then what it resolved (from <see cref="LlamaCppLog"/>), for the report.</summary>
    public static IReadOnlyDictionary<string, string> Describe(ModelParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var settings = new Dictionary<string, string>
        {
            ["executor"] = "LLamaSharp 0.30.0 BatchedExecutor, greedy (argmax)",
            ["requested_n_batch"] = Invariant(parameters.BatchSize),
            ["requested_n_ubatch"] = Invariant(parameters.UBatchSize),
            ["threads"] = Invariant(parameters.Threads),
        };
        foreach (var (name, value) in LlamaCppLog.Resolved)
        {
            settings[name] = value;
        }

        return settings;
    }

    public IAsyncEnumerable<int> Generate(int[] promptIds, int maxTokens)
    {
        var tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        if (!_inbox.Writer.TryWrite(new Admission(promptIds, maxTokens, tokens.Writer)))
        {
            throw new ObjectDisposedException(nameof(LlamaCppBatchedTarget));
        }

        return tokens.Reader.ReadAllAsync();
    }

    public void Dispose()
    {
        _inbox.Writer.TryComplete();
        _thread.Join();
        _executor.Dispose();
    }

    private void Run()
    {
        var live = new List<LiveConversation>();
        try
        {
            while (true)
            {
                while (_inbox.Reader.TryRead(out Admission? admission))
                {
                    live.Add(Admit(admission));
                }

                if (live.Count > 0)
                {
                    DecodeResult result = _executor.Infer().GetAwaiter().GetResult();
                    if (result != DecodeResult.Ok)
                    {
                        throw new InvalidOperationException($"llama.cpp decode failed: {result}");
                    }

                    live.RemoveAll(Advance);
                }
                else if (!_inbox.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
            }
        }
        catch (Exception exception)
        {
            // The driver would otherwise wait forever on the streams this thread can no longer feed.
            _inbox.Writer.TryComplete(exception);
            live.ForEach(conversation => conversation.Admission.Tokens.TryComplete(exception));
            while (_inbox.Reader.TryRead(out Admission? admission))
            {
                admission.Tokens.TryComplete(exception);
            }
        }
    }

    private LiveConversation Admit(Admission admission)
    {
        Conversation conversation = _executor.Create();
        conversation.Prompt(admission.Prompt.Select(id => (LLamaToken)id).ToArray().AsSpan());
        return new LiveConversation(conversation, admission);
    }

    /// <summary>Samples the conversation if the last Infer computed its logits; true once it has all its tokens.</summary>
    private static bool Advance(LiveConversation live)
    {
        if (!live.Conversation.RequiresSampling)
        {
            return false;
        }

        int token = SharpServe.Engine.Sampling.Greedy.ArgMax(live.Conversation.Sample());
        live.Generated++;
        live.Admission.Tokens.TryWrite(1);
        if (live.Generated < live.Admission.MaxTokens)
        {
            live.Conversation.Prompt(token);
            return false;
        }

        live.Conversation.Dispose();
        live.Admission.Tokens.TryComplete();
        return true;
    }

    private static string Invariant(IFormattable? value) => value?.ToString(null, CultureInfo.InvariantCulture) ?? "LLamaSharp default";

    private sealed record Admission(int[] Prompt, int MaxTokens, ChannelWriter<int> Tokens);

    private sealed class LiveConversation(Conversation conversation, Admission admission)
    {
        public Conversation Conversation { get; } = conversation;
        public Admission Admission { get; } = admission;
        public int Generated { get; set; }
    }
}
