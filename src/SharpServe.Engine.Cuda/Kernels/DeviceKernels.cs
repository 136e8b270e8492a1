using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// The kernels loaded on one accelerator, with their launch shapes: what the CUDA backend calls for each operation of the
/// forward pass. Every launch is queued on <paramref name="stream"/>; nothing here copies between host and device.
/// 16-bit data (weights, embedding tables, KV caches) arrives as raw bytes with its <see cref="TensorDType"/> and is widened
/// in the kernels.
/// </summary>
internal sealed class DeviceKernels
{
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>> _add;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>> _addBias;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, F16Elements> _narrowF16;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, Bf16Elements> _narrowBf16;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>> _siluMul;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> _gatherRows;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _rmsNorm;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, int, int, float> _rope;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>> _quantizeQ8;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _gemvQ8;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<int>, ArrayView<float>, int> _embeddingQ8;
    private readonly TypedKernels<F32Elements> _f32;
    private readonly TypedKernels<F16Elements> _f16;
    private readonly TypedKernels<Bf16Elements> _bf16;
    private readonly int _elementwiseGroups;

    public DeviceKernels(Accelerator accelerator)
    {
        if (accelerator.WarpSize != WarpReduce.Lanes)
        {
            throw new NotSupportedException($"{accelerator.Name} has {accelerator.WarpSize}-lane warps; the kernels need {WarpReduce.Lanes}");
        }

        _add = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add);
        _addBias = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>>(ElementwiseKernels.AddBias);
        _narrowF16 = accelerator.LoadKernel<ArrayView<float>, F16Elements>(NarrowKernel.Run);
        _narrowBf16 = accelerator.LoadKernel<ArrayView<float>, Bf16Elements>(NarrowKernel.Run);
        _siluMul = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.SiluMul);
        _gatherRows = accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(ElementwiseKernels.GatherRows);
        _rmsNorm = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(RmsNormKernel.Run);
        _rope = accelerator.LoadKernel<ArrayView<float>, ArrayView<int>, int, int, float>(RopeKernel.Run);
        _quantizeQ8 = accelerator.LoadKernel<ArrayView<float>, ArrayView<sbyte>, ArrayView<float>>(Q8Kernels.Quantize);
        _gemvQ8 = accelerator.LoadKernel<ArrayView<byte>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(Q8Kernels.Gemv);
        _embeddingQ8 = accelerator.LoadKernel<ArrayView<byte>, ArrayView<int>, ArrayView<float>, int>(Q8Kernels.Embedding);
        _f32 = new TypedKernels<F32Elements>(accelerator);
        _f16 = new TypedKernels<F16Elements>(accelerator);
        _bf16 = new TypedKernels<Bf16Elements>(accelerator);
        // Enough groups to fill every multiprocessor a few times over; the grid-stride loops cover the rest.
        _elementwiseGroups = Math.Max(1, accelerator.NumMultiprocessors * 4);
    }

    /// <summary>x += y.</summary>
    public void Add(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> y) =>
        _add(stream, Elementwise(x.Length), x, y);

    /// <summary>y[t, r] += bias[r]. y: [tokens, rows]; bias: [rows].</summary>
    public void AddBias(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> bias) =>
        _addBias(stream, Elementwise(y.Length), y, bias);

    /// <summary>x: [count] f32 → y: [count] in <paramref name="type"/> (F16 or BF16), rounded to nearest even.</summary>
    public void Narrow(AcceleratorStream stream, TensorDType type, ArrayView<float> x, ArrayView<ushort> y)
    {
        switch (type)
        {
            case TensorDType.F16:
                _narrowF16(stream, Elementwise(x.Length), x, new F16Elements(y));
                break;
            case TensorDType.BF16:
                _narrowBf16(stream, Elementwise(x.Length), x, new Bf16Elements(y));
                break;
            default:
                throw new NotSupportedException($"activations narrow to F16 or BF16, not {type}");
        }
    }

    /// <summary>y = silu(gate) · up. All [tokens, intermediate].</summary>
    public void SiluMul(AcceleratorStream stream, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y) =>
        _siluMul(stream, Elementwise(y.Length), gate, up, y);

    /// <summary>destination[r, :] = source[rows[r], :]; rows of <paramref name="width"/> values.</summary>
    public void GatherRows(AcceleratorStream stream, ArrayView<float> source, ArrayView<int> rows, ArrayView<float> destination, int width) =>
        _gatherRows(stream, Elementwise(destination.Length), source, rows, destination, width);

    /// <summary>x, y: [tokens, dim] (may alias); weight: [dim].</summary>
    public void RmsNorm(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int tokens, int dim, float eps) =>
        _rmsNorm(stream, new KernelConfig(tokens, RmsNormKernel.GroupSize), x, weight, y, dim, eps);

    /// <summary>x: [tokens, heads, headDim] rotated in place; positions: [tokens].</summary>
    public void Rope(AcceleratorStream stream, ArrayView<float> x, ArrayView<int> positions, int heads, int headDim, float theta) =>
        _rope(stream, new KernelConfig(positions.IntLength, RopeKernel.GroupSize), x, positions, heads, headDim, MathF.Pow(theta, -2f / headDim));

    /// <summary>table: [vocab, columns] in <paramref name="type"/> (F32, F16, BF16 or Q8_0); ids: [tokens]; y: [tokens, columns].</summary>
    public void Embedding(AcceleratorStream stream, TensorDType type, ArrayView<byte> table, ArrayView<int> ids, ArrayView<float> y, int columns)
    {
        var config = new KernelConfig(ids.IntLength, EmbeddingKernel.GroupSize);
        switch (type)
        {
            case TensorDType.F32:
                _f32.Embedding(stream, config, new F32Elements(table.Cast<float>()), ids, y, columns);
                break;
            case TensorDType.F16:
                _f16.Embedding(stream, config, new F16Elements(table.Cast<ushort>()), ids, y, columns);
                break;
            case TensorDType.BF16:
                _bf16.Embedding(stream, config, new Bf16Elements(table.Cast<ushort>()), ids, y, columns);
                break;
            case TensorDType.Q8_0:
                _embeddingQ8(stream, new KernelConfig(ids.IntLength, Q8Kernels.GroupSize), table, ids, y, columns);
                break;
            default:
                throw Unsupported(type, "embedding tables");
        }
    }

    /// <summary>weights: [rows, columns] in <paramref name="type"/>; x: [tokens, columns]; bias: [rows] or empty; y: [tokens, rows].</summary>
    public void Gemv(AcceleratorStream stream, TensorDType type, ArrayView<byte> weights, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens) =>
        MatMul(stream, new KernelConfig((rows + GemvKernel.WarpsPerGroup - 1) / GemvKernel.WarpsPerGroup, GemvKernel.GroupSize), gemm: false, type, weights, x, bias, y, rows, columns, tokens);

    /// <summary>Gemv's operation for many tokens (prefill): 32 × 32 output tiles through shared memory.</summary>
    public void Gemm(AcceleratorStream stream, TensorDType type, ArrayView<byte> weights, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
    {
        var config = new KernelConfig(
            new Index2D((rows + GemmKernel.Tile - 1) / GemmKernel.Tile, (tokens + GemmKernel.Tile - 1) / GemmKernel.Tile),
            new Index2D(GemmKernel.Tile, GemmKernel.GroupSize / GemmKernel.Tile));
        MatMul(stream, config, gemm: true, type, weights, x, bias, y, rows, columns, tokens);
    }

    /// <summary>
    /// Q8_0 activations for <see cref="GemvQ8"/>: x: [tokens, columns] (columns a multiple of 32) → quants: [tokens, columns]
    /// int8, scales: [tokens, columns / 32]. The caller owns both scratch buffers.
    /// </summary>
    public void QuantizeQ8(AcceleratorStream stream, ArrayView<float> x, ArrayView<sbyte> quants, ArrayView<float> scales)
    {
        var config = new KernelConfig((scales.IntLength + Q8Kernels.GroupSize - 1) / Q8Kernels.GroupSize, Q8Kernels.GroupSize);
        _quantizeQ8(stream, config, x, quants, scales);
    }

    /// <summary>weights: [rows, columns] in Q8_0; quants, scales: from <see cref="QuantizeQ8"/>; bias: [rows] or empty; y: [tokens, rows].</summary>
    public void GemvQ8(AcceleratorStream stream, ArrayView<byte> weights, ArrayView<sbyte> quants, ArrayView<float> scales, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
    {
        var config = new KernelConfig((rows + Q8Kernels.WarpsPerGroup - 1) / Q8Kernels.WarpsPerGroup, Q8Kernels.GroupSize);
        _gemvQ8(stream, config, weights, quants, scales, bias, y, rows, columns, tokens);
    }

    /// <summary>k, v: [tokens, kvDim]; slots: [tokens]; keys, values: [cache slots, kvDim] in <paramref name="cacheType"/>.</summary>
    public void StoreKv(AcceleratorStream stream, ArrayView<float> k, ArrayView<float> v, ArrayView<int> slots, TensorDType cacheType, ArrayView<byte> keys, ArrayView<byte> values, int kvDim)
    {
        var config = new KernelConfig(slots.IntLength, StoreKvKernel.GroupSize);
        switch (cacheType)
        {
            case TensorDType.F32:
                _f32.StoreKv(stream, config, k, v, slots, new F32Elements(keys.Cast<float>()), new F32Elements(values.Cast<float>()), kvDim);
                break;
            case TensorDType.F16:
                _f16.StoreKv(stream, config, k, v, slots, new F16Elements(keys.Cast<ushort>()), new F16Elements(values.Cast<ushort>()), kvDim);
                break;
            case TensorDType.BF16:
                _bf16.StoreKv(stream, config, k, v, slots, new Bf16Elements(keys.Cast<ushort>()), new Bf16Elements(values.Cast<ushort>()), kvDim);
                break;
            default:
                throw Unsupported(cacheType, "KV caches");
        }
    }

    /// <summary>
    /// q, output: [tokens, heads · headDim]; keys, values: [cache slots, kvHeads · headDim] in <paramref name="cacheType"/>;
    /// positions: [tokens]; tokenTables: [tokens], where each token's block table starts in blockTables.
    /// </summary>
    public void Attention(
        AcceleratorStream stream, ArrayView<float> q, TensorDType cacheType, ArrayView<byte> keys, ArrayView<byte> values,
        ArrayView<int> positions, ArrayView<int> tokenTables, ArrayView<int> blockTables, ArrayView<float> output, AttentionShape shape)
    {
        if (shape.HeadDim > PagedAttentionKernel.MaxHeadDim || shape.Heads % shape.KvHeads != 0)
        {
            throw new NotSupportedException($"attention with head_dim {shape.HeadDim} (at most {PagedAttentionKernel.MaxHeadDim}), {shape.Heads} heads over {shape.KvHeads} KV heads");
        }

        int items = positions.IntLength * shape.Heads;
        var config = new KernelConfig((items + PagedAttentionKernel.WarpsPerGroup - 1) / PagedAttentionKernel.WarpsPerGroup, PagedAttentionKernel.GroupSize);
        switch (cacheType)
        {
            case TensorDType.F32:
                _f32.Attention(stream, config, q, new F32Elements(keys.Cast<float>()), new F32Elements(values.Cast<float>()), positions, tokenTables, blockTables, output, shape);
                break;
            case TensorDType.F16:
                _f16.Attention(stream, config, q, new F16Elements(keys.Cast<ushort>()), new F16Elements(values.Cast<ushort>()), positions, tokenTables, blockTables, output, shape);
                break;
            case TensorDType.BF16:
                _bf16.Attention(stream, config, q, new Bf16Elements(keys.Cast<ushort>()), new Bf16Elements(values.Cast<ushort>()), positions, tokenTables, blockTables, output, shape);
                break;
            default:
                throw Unsupported(cacheType, "KV caches");
        }
    }

    private void MatMul(
        AcceleratorStream stream, KernelConfig config, bool gemm, TensorDType type, ArrayView<byte> weights, ArrayView<float> x, ArrayView<float> bias, ArrayView<float> y, int rows, int columns, int tokens)
    {
        switch (type)
        {
            case TensorDType.F32:
                (gemm ? _f32.Gemm : _f32.Gemv)(stream, config, new F32Elements(weights.Cast<float>()), x, bias, y, rows, columns, tokens);
                break;
            case TensorDType.F16:
                (gemm ? _f16.Gemm : _f16.Gemv)(stream, config, new F16Elements(weights.Cast<ushort>()), x, bias, y, rows, columns, tokens);
                break;
            case TensorDType.BF16:
                (gemm ? _bf16.Gemm : _bf16.Gemv)(stream, config, new Bf16Elements(weights.Cast<ushort>()), x, bias, y, rows, columns, tokens);
                break;
            default:
                throw Unsupported(type, "matmul weights");
        }
    }

    private static NotSupportedException Unsupported(TensorDType type, string what) =>
        new($"the CUDA kernels read {what} in F32, F16, BF16 or Q8_0, not {type}");

    private KernelConfig Elementwise(long length) =>
        new((int)Math.Clamp((length + 255) / 256, 1, _elementwiseGroups), 256);

    /// <summary>The generic kernels instantiated for one element type.</summary>
    private sealed class TypedKernels<T>(Accelerator accelerator)
        where T : struct, IDeviceElements
    {
        public Action<AcceleratorStream, KernelConfig, T, ArrayView<int>, ArrayView<float>, int> Embedding { get; } =
            accelerator.LoadKernel<T, ArrayView<int>, ArrayView<float>, int>(EmbeddingKernel.Run);

        public Action<AcceleratorStream, KernelConfig, T, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> Gemv { get; } =
            accelerator.LoadKernel<T, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GemvKernel.Run);

        public Action<AcceleratorStream, KernelConfig, T, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> Gemm { get; } =
            accelerator.LoadKernel<T, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GemmKernel.Run);

        public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, T, T, int> StoreKv { get; } =
            accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, T, T, int>(StoreKvKernel.Run);

        public Action<AcceleratorStream, KernelConfig, ArrayView<float>, T, T, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, AttentionShape> Attention { get; } =
            accelerator.LoadKernel<ArrayView<float>, T, T, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, AttentionShape>(PagedAttentionKernel.Run);
    }
}
