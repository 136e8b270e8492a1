using System.Diagnostics;
using System.Text.RegularExpressions;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;

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
    private readonly Dictionary<WeightTensor, string> _matMulsNames = [];

    public int Threads => inner.Threads;

    /// <summary>Each operation's calls and time since the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, OperationTime> Totals => _totals;

    public void Reset() => _totals.Clear();

    public ActivationBuffer Allocate(int length) => inner.Allocate(length);

    public KvLayer AllocateKvLayer(int slots, int kvDim, KvCacheDType dtype) => inner.AllocateKvLayer(slots, kvDim, dtype);

    public void BeginStep(AttentionMetadata metadata)
    {
        long start = Stopwatch.GetTimestamp();
        inner.BeginStep(metadata);
        Record("begin_step", start);
    }

    public void MatMul(WeightTensor weight, float[] bias, Activations x, Activations y, int tokens)
    {
        long start = Stopwatch.GetTimestamp();
        inner.MatMul(weight, bias, x, y, tokens);
        Record(MatMulName(weight), start);
    }

    public void MatMuls(Activations x, int tokens, ReadOnlySpan<Projection> projections)
    {
        long start = Stopwatch.GetTimestamp();
        inner.MatMuls(x, tokens, projections);
        Record(MatMulsName(projections), start);
    }

    public void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Activations y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.EmbeddingLookup(table, ids, y);
        Record("embedding", start);
    }

    public void RmsNorm(Activations x, float[] weight, float eps, Activations y, int tokens)
    {
        long start = Stopwatch.GetTimestamp();
        inner.RmsNorm(x, weight, eps, y, tokens);
        Record("rms_norm", start);
    }

    public void Rope(Activations x, AttentionMetadata metadata, int heads, int headDim, float theta)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Rope(x, metadata, heads, headDim, theta);
        Record("rope", start);
    }

    public void SiluMul(Activations gate, Activations up, Activations y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.SiluMul(gate, up, y);
        Record("silu_mul", start);
    }

    public void Add(Activations x, Activations y)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Add(x, y);
        Record("add", start);
    }

    public void StoreKv(Activations k, Activations v, AttentionMetadata metadata, KvLayer cache)
    {
        long start = Stopwatch.GetTimestamp();
        inner.StoreKv(k, v, metadata, cache);
        Record("store_kv", start);
    }

    public void Attention(Activations q, KvLayer cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Activations output)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Attention(q, cache, metadata, heads, kvHeads, headDim, output);
        Record("attention", start);
    }

    public void CopyRows(Activations source, ReadOnlySpan<int> rows, int width, Activations destination)
    {
        long start = Stopwatch.GetTimestamp();
        inner.CopyRows(source, rows, width, destination);
        Record("copy_rows", start);
    }

    public void ComputeLogits(WeightTensor lmHead, Activations hidden, int rows, Span<float> logits)
    {
        long start = Stopwatch.GetTimestamp();
        inner.ComputeLogits(lmHead, hidden, rows, logits);
        Record(MatMulName(lmHead), start);
    }

    public void Sample(WeightTensor lmHead, Activations hidden, int rows, ReadOnlySpan<SamplingRow> draws)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Sample(lmHead, hidden, rows, draws);
        Record(MatMulName(lmHead) + " + sample", start);
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

    /// <summary>
    /// One name for the projections of one call, the later weights without the path they share with the first
    /// (<c>matmul blk.*.attn_q.weight + attn_k.weight + attn_v.weight</c>); keyed by the first weight, since a layer always
    /// passes the same set.
    /// </summary>
    private string MatMulsName(ReadOnlySpan<Projection> projections)
    {
        if (projections.IsEmpty)
        {
            return "matmul (none)";
        }

        if (!_matMulsNames.TryGetValue(projections[0].Weight, out var name))
        {
            string first = MatMulName(projections[0].Weight);
            name = first;
            foreach (var projection in projections[1..])
            {
                string other = MatMulName(projection.Weight);
                int shared = 0;
                for (int i = 0; i < Math.Min(first.Length, other.Length) && first[i] == other[i]; i++)
                {
                    shared = other[i] == '.' ? i + 1 : shared;
                }

                name += " + " + other[shared..];
            }

            _matMulsNames[projections[0].Weight] = name;
        }

        return name;
    }

    [GeneratedRegex(@"\.\d+\.")]
    private static partial Regex LayerNumber();
}

/// <summary>Calls of one operation and their summed wall time.</summary>
public readonly record struct OperationTime(long Calls, TimeSpan Elapsed);
