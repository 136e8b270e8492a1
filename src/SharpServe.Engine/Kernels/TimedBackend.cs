using System.Diagnostics;
using System.Text.RegularExpressions;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// The compute seam with a stopwatch (`bench engine --profile`): forwards every call to the backend it wraps and adds
/// the call's wall time to its operation's total. The kernels finish before they return, so a call's wall time is its
/// cost. Matmuls are kept apart by weight, with layer numbers folded (<c>blk.*.ffn_gate.weight</c>), so the totals say
/// which matrix a step spends its time on. Owns the inner backend.
/// </summary>
public sealed partial class TimedBackend(IComputeBackend inner) : IComputeBackend
{
    private readonly Dictionary<string, OperationTime> _totals = [];
    private readonly Dictionary<WeightTensor, string> _matMulNames = [];

    public int Threads => inner.Threads;

    /// <summary>Each operation's calls and time since the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, OperationTime> Totals => _totals;

    public void Reset() => _totals.Clear();

    public void MatMul(WeightTensor weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        long start = Stopwatch.GetTimestamp();
        inner.MatMul(weight, bias, x, y, tokens);
        Record(MatMulName(weight), start);
    }

    public void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Span<float> y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.EmbeddingLookup(table, ids, y);
        Record("embedding", start);
    }

    public void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int tokens)
    {
        long start = Stopwatch.GetTimestamp();
        inner.RmsNorm(x, weight, eps, y, tokens);
        Record("rms_norm", start);
    }

    public void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, float theta)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Rope(x, positions, heads, headDim, theta);
        Record("rope", start);
    }

    public void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.SiluMul(gate, up, y);
        Record("silu_mul", start);
    }

    public void Add(Span<float> x, ReadOnlySpan<float> y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Add(x, y);
        Record("add", start);
    }

    public void StoreKv(ReadOnlySpan<float> k, ReadOnlySpan<float> v, AttentionMetadata metadata, KvLayerCache cache)
    {
        long start = Stopwatch.GetTimestamp();
        inner.StoreKv(k, v, metadata, cache);
        Record("store_kv", start);
    }

    public void Attention(ReadOnlySpan<float> q, KvLayerCache cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Span<float> output)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Attention(q, cache, metadata, heads, kvHeads, headDim, output);
        Record("attention", start);
    }

    public void Dispose() => inner.Dispose();

    private void Record(string operation, long start)
    {
        var elapsed = Stopwatch.GetElapsedTime(start);
        _totals[operation] = _totals.TryGetValue(operation, out var total) ? new(total.Calls + 1, total.Elapsed + elapsed) : new(1, elapsed);
    }

    private string MatMulName(WeightTensor weight)
    {
        if (!_matMulNames.TryGetValue(weight, out var name))
        {
            name = "matmul " + LayerNumber().Replace(weight.Name, ".*.");
            _matMulNames[weight] = name;
        }

        return name;
    }

    [GeneratedRegex(@"\.\d+\.")]
    private static partial Regex LayerNumber();
}

/// <summary>Calls of one operation and their summed wall time.</summary>
public readonly record struct OperationTime(long Calls, TimeSpan Elapsed);
