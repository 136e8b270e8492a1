using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Kernels;

/// <summary>The compute seam on the CPU: activations are host arrays and KV layers <see cref="KvLayerCache"/>s, so each call unwraps to spans.</summary>
public sealed partial class CpuBackend
{
    private readonly HostSampler _sampler = new();
    private float[] _logits = [];

    ActivationBuffer IComputeBackend.Allocate(int length) => new HostActivations(length);

    KvLayer IComputeBackend.AllocateKvLayer(int slots, int kvDim, KvCacheDType dtype) => new KvLayerCache(slots, kvDim, dtype);

    void IComputeBackend.BeginStep(AttentionMetadata metadata)
    {
        // The CPU kernels read the metadata where it is.
    }

    void IComputeBackend.MatMul(WeightTensor weight, float[] bias, Activations x, Activations y, int tokens) =>
        MatMul(weight, bias, Host(x), Host(y), tokens);

    /// <summary>The projections of each weight dtype run as one job (a Q4_K_M layer's Q6_K v beside Q4_K q and k makes two).</summary>
    unsafe void IComputeBackend.MatMuls(Activations x, int tokens, ReadOnlySpan<Projection> projections)
    {
        var input = Host(x);
        foreach (var projection in projections)
        {
            if (projection.Weight.Columns != projections[0].Weight.Columns)
            {
                throw new ArgumentException(
                    $"projections of one input need one in-dimension: {projections[0].Weight} and {projection.Weight}", nameof(projections));
            }

            CheckMatMul(projection.Weight, projection.Bias, input, Host(projection.Output), tokens);
        }

        if (tokens == 0)
        {
            return;
        }

        Span<MatMulTarget> targets = stackalloc MatMulTarget[projections.Length];
        fixed (float* px = input)
        {
            for (int i = 0; i < projections.Length; i++)
            {
                if (FirstOfItsType(projections, i))
                {
                    PinAndRun(projections, projections[i].Weight.Type, i, px, tokens, targets, 0);
                }
            }
        }
    }

    void IComputeBackend.EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Activations y) => EmbeddingLookup(table, ids, Host(y));

    void IComputeBackend.RmsNorm(Activations x, float[] weight, float eps, Activations y, int tokens) =>
        RmsNorm(Host(x), weight, eps, Host(y), tokens);

    void IComputeBackend.Rope(Activations x, AttentionMetadata metadata, int heads, int headDim, float theta) =>
        Rope(Host(x), metadata.Positions, heads, headDim, theta);

    void IComputeBackend.SiluMul(Activations gate, Activations up, Activations y) => SiluMul(Host(gate), Host(up), Host(y));

    void IComputeBackend.Add(Activations x, Activations y) => Add(Host(x), Host(y));

    void IComputeBackend.StoreKv(Activations k, Activations v, AttentionMetadata metadata, KvLayer cache) =>
        StoreKv(Host(k), Host(v), metadata, Host(cache));

    void IComputeBackend.Attention(Activations q, KvLayer cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Activations output) =>
        Attention(Host(q), Host(cache), metadata, heads, kvHeads, headDim, Host(output));

    void IComputeBackend.CopyRows(Activations source, ReadOnlySpan<int> rows, int width, Activations destination)
    {
        var from = Host(source);
        var to = Host(destination);
        CheckLength(to.Length, (long)rows.Length * width, nameof(destination));
        for (int r = 0; r < rows.Length; r++)
        {
            from.Slice(rows[r] * width, width).CopyTo(to.Slice(r * width, width));
        }
    }

    void IComputeBackend.ComputeLogits(WeightTensor lmHead, Activations hidden, int rows, Span<float> logits) =>
        MatMul(lmHead, [], Host(hidden), logits, rows);

    void IComputeBackend.Sample(WeightTensor lmHead, Activations hidden, int rows, ReadOnlySpan<SamplingRow> draws)
    {
        int vocab = lmHead.Rows;
        if (_logits.Length < rows * vocab)
        {
            _logits = new float[rows * vocab];
        }

        MatMul(lmHead, [], Host(hidden), _logits.AsSpan(0, rows * vocab), rows); // [rows, vocab]
        foreach (var draw in draws)
        {
            _sampler.Sample(_logits.AsSpan(draw.LogitsRow * vocab, vocab), draw);
        }
    }

    private static bool FirstOfItsType(ReadOnlySpan<Projection> projections, int index)
    {
        for (int i = 0; i < index; i++)
        {
            if (projections[i].Weight.Type == projections[index].Weight.Type)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Pins the projections of <paramref name="type"/> from <paramref name="next"/> on, one per level (fixed only spans a
    /// scope), into <paramref name="targets"/>, and runs them as one matmul once all are pinned.
    /// </summary>
    private unsafe void PinAndRun(ReadOnlySpan<Projection> projections, TensorDType type, int next, float* x, int tokens, Span<MatMulTarget> targets, int pinned)
    {
        while (next < projections.Length && projections[next].Weight.Type != type)
        {
            next++;
        }

        if (next == projections.Length)
        {
            fixed (MatMulTarget* all = targets)
            {
                _kernels.MatMuls(type, projections[0].Weight.Columns, x, tokens, all, pinned);
            }

            return;
        }

        var projection = projections[next];
        fixed (byte* w = projection.Weight.Data.Span)
        fixed (float* b = projection.Bias)
        fixed (float* y = Host(projection.Output))
        {
            targets[pinned] = new MatMulTarget(w, projection.Weight.Rows, b, y);
            PinAndRun(projections, type, next + 1, x, tokens, targets, pinned + 1);
        }
    }

    private static Span<float> Host(Activations activations) => activations.Buffer is HostActivations host
        ? host.Array.AsSpan(activations.Offset, activations.Length)
        : throw new ArgumentException($"the CPU backend computes on host arrays, not on a {activations.Buffer.GetType().Name}");

    private static KvLayerCache Host(KvLayer layer) => layer as KvLayerCache
        ?? throw new ArgumentException($"the CPU backend reads KV layers in host memory, not a {layer.GetType().Name}");
}
