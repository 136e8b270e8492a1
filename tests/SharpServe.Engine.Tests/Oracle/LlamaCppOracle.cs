using LLama;
using LLama.Common;
using LLama.Native;

namespace SharpServe.Engine.Tests.Oracle;

/// <summary>
/// llama.cpp (through LLamaSharp) driven the way DESIGN.md §3 prescribes for exact comparison:
/// flash attention off and an F32 KV cache (or an F16 one, to compare 16-bit caches). Shared by the oracle tests and the benchmark (linked
/// into the bench project), so both run llama.cpp the same way.
/// </summary>
public sealed class LlamaCppOracle : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();

    public LlamaCppOracle(string ggufPath, int contextSize = 1024, int threads = 2, bool exactNumerics = true, bool f16KvCache = false)
    {
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        if (exactNumerics)
        {
            parameters.FlashAttention = false;
            // An F16 cache makes llama.cpp also round q and the softmax probabilities to f16 in its matmuls.
            var kvType = f16KvCache ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32;
            parameters.TypeK = kvType;
            parameters.TypeV = kvType;
        }

        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
        VocabSize = _weights.Vocab.Count;
    }

    public int VocabSize { get; }

    /// <summary>Forgets every sequence's cache.</summary>
    public void Reset() => _context.NativeHandle.MemoryClear(true);

    /// <summary>
    /// Feeds <paramref name="tokens"/> to sequence <paramref name="sequence"/> starting at <paramref name="startPosition"/>
    /// in one decode call and returns the logits of every token ([tokens][vocab]) when
    /// <paramref name="allLogits"/>, else of the last one only.
    /// </summary>
    public float[][] Feed(IReadOnlyList<int> tokens, int startPosition = 0, int sequence = 0, bool allLogits = true)
    {
        _batch.Clear();
        for (int i = 0; i < tokens.Count; i++)
        {
            _batch.Add(tokens[i], startPosition + i, (LLamaSeqId)sequence, allLogits || i == tokens.Count - 1);
        }

        var result = _context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama_decode failed: {result}");
        }

        int first = allLogits ? 0 : tokens.Count - 1;
        return Enumerable.Range(first, tokens.Count - first)
            .Select(i => _context.NativeHandle.GetLogitsIth(i).ToArray())
            .ToArray();
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> (fresh cache), one token per decode call.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        Reset();
        var logits = Feed(prompt, allLogits: false)[0];
        var output = new int[count];
        for (int i = 0; i < count; i++)
        {
            output[i] = SharpServe.Engine.Sampling.Greedy.ArgMax(logits);
            if (i + 1 < count)
            {
                logits = Feed([output[i]], prompt.Count + i, allLogits: false)[0];
            }
        }

        return output;
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
