using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// The CPU implementation of <see cref="IComputeBackend"/> (the seam's methods are in CpuBackend.Seam.cs; the span methods
/// here are what they call, and what kernel tests and benchmarks use). Checks every shape (the kernels use raw
/// pointers, so a bad length must fail here rather than read past a buffer), pins the spans and hands
/// them to the kernels of the chosen <see cref="SimdTier"/>. Weights are used in place. Use from one
/// thread at a time; matmul and attention are split across <see cref="Threads"/> threads.
/// </summary>
public sealed unsafe partial class CpuBackend : IComputeBackend
{
    private readonly WorkerPool _pool;
    private readonly CpuKernels _kernels;

    /// <summary>Uses the widest vector tier this CPU accelerates.</summary>
    public CpuBackend(int threads)
        : this(threads, SimdTiers.Best)
    {
    }

    public CpuBackend(int threads, SimdTier tier)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (!SimdTiers.IsSupported(tier))
        {
            throw new PlatformNotSupportedException($"this CPU does not accelerate the {tier} tier");
        }

        Tier = tier;
        _pool = new WorkerPool(threads);
        _kernels = CpuKernels.Create(tier, _pool);
    }

    public int Threads => _pool.Threads;

    public SimdTier Tier { get; }

    public void MatMul(WeightTensor weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        CheckMatMul(weight, bias, x, y, tokens);
        if (tokens == 0)
        {
            return;
        }

        fixed (byte* w = weight.Data.Span)
        fixed (float* b = bias)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var target = new MatMulTarget(w, weight.Rows, b, py);
            _kernels.MatMuls(weight.Type, weight.Columns, px, tokens, &target, 1);
        }
    }

    public void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Span<float> y)
    {
        int columns = table.Columns;
        CheckData(table, (long)table.Rows * columns);
        CheckLength(y.Length, (long)ids.Length * columns, nameof(y));
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)table.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside {table}");
            }
        }

        fixed (byte* t = table.Data.Span)
        fixed (int* pids = ids)
        fixed (float* py = y)
        {
            _kernels.EmbeddingLookup(table.Type, t, columns, pids, ids.Length, py);
        }
    }

    public void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        CheckLength(x.Length, (long)tokens * weight.Length, nameof(x));
        CheckLength(y.Length, (long)tokens * weight.Length, nameof(y));
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* py = y)
        {
            _kernels.RmsNorm(px, pw, eps, py, tokens, weight.Length);
        }
    }

    public void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, float theta)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (headDim <= 0 || headDim % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "head_dim must be positive and even");
        }

        CheckLength(x.Length, (long)positions.Length * heads * headDim, nameof(x));
        fixed (float* px = x)
        fixed (int* pp = positions)
        {
            _kernels.Rope(px, pp, positions.Length, heads, headDim, theta);
        }
    }

    public void SiluMul(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        if (up.Length != gate.Length || y.Length != gate.Length)
        {
            throw new ArgumentException($"gate, up and y must have one length (got {gate.Length}, {up.Length}, {y.Length})");
        }

        fixed (float* pg = gate)
        fixed (float* pu = up)
        fixed (float* py = y)
        {
            _kernels.SiluMul(pg, pu, py, gate.Length);
        }
    }

    public void Add(Span<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"x and y must have one length (got {x.Length}, {y.Length})");
        }

        fixed (float* px = x)
        fixed (float* py = y)
        {
            _kernels.Add(px, py, x.Length);
        }
    }

    public void StoreKv(ReadOnlySpan<float> k, ReadOnlySpan<float> v, AttentionMetadata metadata, KvLayerCache cache)
    {
        int kvDim = cache.KvDim;
        int tokens = metadata.TokenCount;
        CheckLength(k.Length, (long)tokens * kvDim, nameof(k));
        CheckLength(v.Length, (long)tokens * kvDim, nameof(v));
        int slotBytes = cache.SlotBytes;
        TensorDType type = cache.DType.ElementType();
        Span<byte> row = slotBytes <= 16 * 1024 ? stackalloc byte[slotBytes] : new byte[slotBytes];   // one V row, encoded, before it is spread over its tile
        for (int t = 0; t < tokens; t++)
        {
            int slot = metadata.Slots[t];
            if ((uint)slot >= (uint)cache.Slots)
            {
                throw new ArgumentOutOfRangeException(nameof(metadata), slot, $"cache slot outside the {cache.Slots}-slot cache");
            }

            // 16-bit caches round to nearest even here, once per value (f16 exactly as (Half)x does).
            WeightCodec.Encode(type, k.Slice(t * kvDim, kvDim), cache.Keys.AsSpan(slot * slotBytes, slotBytes));
            WeightCodec.Encode(type, v.Slice(t * kvDim, kvDim), row);
            cache.WriteValueRow(slot, row);
        }
    }

    public void Attention(ReadOnlySpan<float> q, KvLayerCache cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        if (heads % kvHeads != 0 || (long)kvHeads * headDim != cache.KvDim)
        {
            throw new ArgumentException($"heads {heads}, kv heads {kvHeads}, head_dim {headDim} do not fit a cache of kv_dim {cache.KvDim}");
        }

        int tokens = metadata.TokenCount;
        CheckLength(q.Length, (long)tokens * heads * headDim, nameof(q));
        CheckLength(output.Length, (long)tokens * heads * headDim, nameof(output));
        CheckBlockTables(metadata, cache.Slots / metadata.BlockSize);
        if (tokens == 0)
        {
            return;
        }

        fixed (float* pq = q)
        fixed (byte* keys = cache.Keys)
        fixed (byte* values = cache.Values)
        fixed (float* po = output)
        {
            _kernels.Attention(pq, keys, values, cache.DType.ElementType(), metadata, heads, kvHeads, headDim, po);
        }
    }

    public void Dispose()
    {
        _kernels.Dispose();
        _pool.Dispose();
    }

    /// <summary>x: [tokens, in], weight: [out, in], y: [tokens, out] at least; bias empty or [out].</summary>
    private static void CheckMatMul(WeightTensor weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int tokens)
    {
        int rows = weight.Rows;
        int columns = weight.Columns;
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        CheckData(weight, (long)rows * columns);
        CheckLength(x.Length, (long)tokens * columns, nameof(x));
        CheckLength(y.Length, (long)tokens * rows, nameof(y));
        if (!bias.IsEmpty && bias.Length != rows)
        {
            throw new ArgumentException($"bias has {bias.Length} values, {weight} needs {rows}", nameof(bias));
        }
    }

    private static void CheckLength(int actual, long needed, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} has {actual} values, needs {needed}", name);
        }
    }

    private static void CheckData(WeightTensor weight, long elements)
    {
        long bytes = TensorDTypeInfo.ByteSize(weight.Type, elements);
        if (weight.Data.Length < bytes)
        {
            throw new ArgumentException($"{weight} has {weight.Data.Length} bytes of data, needs {bytes}", nameof(weight));
        }
    }

    /// <summary>Every block an attending token reads must exist in the cache.</summary>
    private static void CheckBlockTables(AttentionMetadata metadata, long cacheBlocks)
    {
        foreach (var sequence in metadata.Sequences)
        {
            int blocks = (sequence.ContextLength + metadata.BlockSize - 1) / metadata.BlockSize;
            if (sequence.BlockTable.Length < blocks)
            {
                throw new ArgumentException($"a sequence of {sequence.ContextLength} tokens needs {blocks} blocks, its table has {sequence.BlockTable.Length}", nameof(metadata));
            }

            for (int b = 0; b < blocks; b++)
            {
                if ((ulong)sequence.BlockTable[b] >= (ulong)cacheBlocks)
                {
                    throw new ArgumentOutOfRangeException(nameof(metadata), sequence.BlockTable[b], $"block outside the {cacheBlocks}-block cache");
                }
            }
        }
    }
}
