using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Cuda.Native;
using SharpServe.Engine.Cuda.Sampling;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda;

/// <summary>
/// The compute seam on an ILGPU accelerator — a CUDA card, or in tests ILGPU's CPU accelerator in its NVIDIA shape. Every
/// operation is a kernel launch on one stream; activations and KV layers are device buffers; weights are uploaded on first
/// use. Per step the host sends the token ids, the flattened attention metadata and the draws' settings, and receives the
/// drawn tokens and logprobs (<see cref="Sample"/>: the logits stay on the device; tools may still read them).
/// Matmuls: f32/f16/bf16 weights take the GEMV kernel up to <see cref="GemvMaxTokens"/> tokens and a GEMM above: cuBLAS on
/// a CUDA card where it loads (16-bit weights against activations rounded to their type, f32 accumulation), the tiled
/// ILGPU kernel otherwise (<see cref="GemmDescription"/> says which); Q8_0 (int8) weights the Q8 GEMV against quantized
/// activations; other formats are refused by name.
/// </summary>
public sealed class CudaBackend : IComputeBackend
{
    /// <summary>Up to this many tokens a matmul reads its weights once per token from the GEMV kernel; beyond, the tiled GEMM.</summary>
    public const int GemvMaxTokens = 4;

    private readonly Accelerator _accelerator;
    private readonly bool _ownsAccelerator;
    private readonly DeviceKernels _kernels;
    private readonly DeviceWeights _weights;
    private readonly AcceleratorStream _stream;
    private readonly AttentionArrays _attentionArrays = new();
    private readonly GrowingBuffer<int> _ids;
    private readonly GrowingBuffer<int> _rows;
    private readonly GrowingBuffer<int> _positions;
    private readonly GrowingBuffer<int> _slots;
    private readonly GrowingBuffer<int> _tokenTables;
    private readonly GrowingBuffer<int> _blockTables;
    private readonly GrowingBuffer<sbyte> _quants;
    private readonly GrowingBuffer<float> _quantScales;
    private readonly GrowingBuffer<float> _logits;
    private readonly GrowingBuffer<ushort> _narrowed;
    private readonly CublasGemm? _cublas;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _noBias;
    private readonly Context? _context;
    private readonly DeviceSampler _sampler;
    private AttentionMetadata? _step;

    /// <summary>Runs on <paramref name="accelerator"/>; disposes it with the backend when <paramref name="ownsAccelerator"/>.</summary>
    public CudaBackend(Accelerator accelerator, bool ownsAccelerator)
        : this(accelerator, ownsAccelerator, context: null)
    {
    }

    private CudaBackend(Accelerator accelerator, bool ownsAccelerator, Context? context)
    {
        _context = context;
        _accelerator = accelerator;
        _ownsAccelerator = ownsAccelerator;
        _kernels = new DeviceKernels(accelerator);
        _weights = new DeviceWeights(accelerator);
        _stream = accelerator.DefaultStream;
        _ids = new(accelerator);
        _rows = new(accelerator);
        _positions = new(accelerator);
        _slots = new(accelerator);
        _tokenTables = new(accelerator);
        _blockTables = new(accelerator);
        _quants = new(accelerator);
        _quantScales = new(accelerator);
        _logits = new(accelerator);
        _narrowed = new(accelerator);
        _noBias = accelerator.Allocate1D<float>(1);
        _sampler = new DeviceSampler(accelerator);
        string why = "not a CUDA card";
        _cublas = accelerator is CudaAccelerator cuda ? CublasGemm.TryCreate(cuda, (CudaStream)_stream, out why) : null;
        GemmDescription = _cublas is null ? $"ILGPU tiles ({why})" : $"cuBLAS ({_cublas.Library})";
    }

    /// <summary>The weight types the kernels run (as matrices and as embedding tables).</summary>
    public static IReadOnlyList<TensorDType> SupportedWeightTypes { get; } = [TensorDType.F32, TensorDType.F16, TensorDType.BF16, TensorDType.Q8_0];

    public int Threads => 1;

    /// <summary>The accelerator the kernels run on (a shared arena is opened in its context).</summary>
    internal Accelerator Accelerator => _accelerator;

    /// <summary>Which GEMM prefill matmuls take, and why not cuBLAS when they do not (for the startup log).</summary>
    public string GemmDescription { get; }

    /// <summary>A backend on CUDA card <paramref name="index"/>, owning its ILGPU context and accelerator.</summary>
    public static CudaBackend Open(int index)
    {
        var context = DeviceContext.CreateCuda();
        try
        {
            return new CudaBackend(context.CreateCudaAccelerator(index), ownsAccelerator: true, context);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>The weight types of <paramref name="checkpoint"/>'s matrices the CUDA kernels cannot run yet, by name.</summary>
    public static IReadOnlyList<TensorDType> UnsupportedTypes(ModelCheckpoint checkpoint) =>
        [.. checkpoint.Tensors.Values.Where(t => t.Shape.Length == 2).Select(t => t.Type).Where(t => !SupportedWeightTypes.Contains(t)).Distinct().Order()];

    /// <summary>
    /// Reads every weight from <paramref name="arena"/> (which the backend then owns) instead of uploading each on first use.
    /// Call it after binding the model and before its first forward pass.
    /// </summary>
    public void UseWeightArena(WeightArena arena) => _weights.Attach(arena);

    /// <summary>The card's memory: what --gpu-memory-utilization is a share of.</summary>
    public long TotalMemoryBytes => _accelerator.MemorySize;

    /// <summary>The card's free memory now, as the driver reports it (cuMemGetInfo); only a CUDA card can say.</summary>
    public long FreeMemoryBytes => _accelerator is CudaAccelerator cuda
        ? cuda.GetFreeMemory()
        : throw new NotSupportedException($"{_accelerator.Name} does not report free memory; a CUDA card does");

    public ActivationBuffer Allocate(int length) => new DeviceActivations(_accelerator, length);

    public KvLayer AllocateKvLayer(int slots, int kvDim, KvCacheDType dtype) => new DeviceKvLayer(_accelerator, slots, kvDim, dtype);

    public void BeginStep(AttentionMetadata metadata)
    {
        var arrays = _attentionArrays.Fill(metadata);
        _positions.Upload(_stream, arrays.Positions);
        _slots.Upload(_stream, arrays.Slots);
        _tokenTables.Upload(_stream, arrays.TokenTables);
        _blockTables.Upload(_stream, arrays.BlockTables);
        _step = metadata;
    }

    public void MatMul(WeightTensor weight, float[] bias, Activations x, Activations y, int tokens)
    {
        int rows = weight.Rows;
        int columns = weight.Columns;
        var input = View(x);
        var output = View(y);
        var biasView = bias.Length == 0 ? ((ArrayView<float>)_noBias.View).SubView(0, 0) : _weights.Vector(bias);
        var data = _weights.Matrix(weight);
        switch (weight.Type)
        {
            case TensorDType.Q8_0:
                var quants = _quants.View(tokens * columns);
                var scales = _quantScales.View(tokens * columns / Q8Kernels.BlockSize);
                _kernels.QuantizeQ8(_stream, input, quants, scales);
                _kernels.GemvQ8(_stream, data, quants, scales, biasView, output, rows, columns, tokens);
                break;
            case TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 when tokens <= GemvMaxTokens:
                _kernels.Gemv(_stream, weight.Type, data, input, biasView, output, rows, columns, tokens);
                break;
            case TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 when _cublas is not null:
                var product = output.SubView(0, (long)tokens * rows);
                _cublas.Multiply(weight.Type, data, GemmInput(weight.Type, input.SubView(0, (long)tokens * columns)), product, rows, columns, tokens);
                if (bias.Length > 0)
                {
                    _kernels.AddBias(_stream, product, biasView);
                }

                break;
            case TensorDType.F32 or TensorDType.F16 or TensorDType.BF16:
                _kernels.Gemm(_stream, weight.Type, data, input, biasView, output, rows, columns, tokens);
                break;
            default:
                throw new NotSupportedException($"{weight}: the CUDA backend runs {string.Join(", ", SupportedWeightTypes)} weights, not {weight.Type}");
        }
    }

    public void EmbeddingLookup(WeightTensor table, ReadOnlySpan<int> ids, Activations y)
    {
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)table.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id outside {table}");
            }
        }

        _kernels.Embedding(_stream, table.Type, _weights.Matrix(table), _ids.Upload(_stream, ids), View(y), table.Columns);
    }

    public void RmsNorm(Activations x, float[] weight, float eps, Activations y, int tokens) =>
        _kernels.RmsNorm(_stream, View(x), _weights.Vector(weight), View(y), tokens, weight.Length, eps);

    public void Rope(Activations x, AttentionMetadata metadata, int heads, int headDim, float theta) =>
        _kernels.Rope(_stream, View(x), Step(metadata, _positions), heads, headDim, theta);

    public void SiluMul(Activations gate, Activations up, Activations y) => _kernels.SiluMul(_stream, View(gate), View(up), View(y));

    public void Add(Activations x, Activations y) => _kernels.Add(_stream, View(x), View(y));

    public void StoreKv(Activations k, Activations v, AttentionMetadata metadata, KvLayer cache)
    {
        var layer = Device(cache);
        _kernels.StoreKv(_stream, View(k), View(v), Step(metadata, _slots), layer.DType.ElementType(), layer.Keys.View, layer.Values.View, layer.KvDim);
    }

    public void Attention(Activations q, KvLayer cache, AttentionMetadata metadata, int heads, int kvHeads, int headDim, Activations output)
    {
        var layer = Device(cache);
        var shape = new AttentionShape(heads, kvHeads, headDim, metadata.BlockSize, 1f / MathF.Sqrt(headDim));
        var positions = Step(metadata, _positions);
        var tokenTables = _tokenTables.View(metadata.TokenCount);
        var blockTables = _blockTables.View(BlockTableLength(metadata));
        _kernels.Attention(_stream, View(q), layer.DType.ElementType(), layer.Keys.View, layer.Values.View, positions, tokenTables, blockTables, View(output), shape);
    }

    public void CopyRows(Activations source, ReadOnlySpan<int> rows, int width, Activations destination)
    {
        var to = View(destination);
        if (to.Length != (long)rows.Length * width)
        {
            throw new ArgumentException($"destination holds {to.Length} values, not {rows.Length} rows of {width}", nameof(destination));
        }

        _kernels.GatherRows(_stream, View(source), _rows.Upload(_stream, rows), to, width);
    }

    public void ComputeLogits(WeightTensor lmHead, Activations hidden, int rows, Span<float> logits)
    {
        DeviceLogits(lmHead, hidden, rows).CopyToCPU(_stream, logits);
        _stream.Synchronize();
    }

    public void Sample(WeightTensor lmHead, Activations hidden, int rows, ReadOnlySpan<SamplingRow> draws) =>
        _sampler.Sample(_stream, DeviceLogits(lmHead, hidden, rows), lmHead.Rows, draws);

    public void Dispose()
    {
        _cublas?.Dispose();
        _weights.Dispose();
        foreach (var buffer in new IDisposable[] { _ids, _rows, _positions, _slots, _tokenTables, _blockTables, _quants, _quantScales, _logits, _narrowed, _noBias, _sampler })
        {
            buffer.Dispose();
        }

        if (_ownsAccelerator)
        {
            _accelerator.Dispose();
        }

        _context?.Dispose();
    }

    /// <summary>logits = hidden·lm_headᵀ into device scratch: [rows, vocab].</summary>
    private ArrayView<float> DeviceLogits(WeightTensor lmHead, Activations hidden, int rows)
    {
        var logits = _logits.View(rows * lmHead.Rows);
        MatMul(lmHead, [], hidden, new Activations(new ViewActivations(logits), 0, (int)logits.Length), rows);
        return logits;
    }

    private static ArrayView<float> View(Activations activations) => activations.Buffer switch
    {
        DeviceActivations device => ((ArrayView<float>)device.Buffer.View).SubView(activations.Offset, activations.Length),
        ViewActivations view => view.View.SubView(activations.Offset, activations.Length),
        _ => throw new ArgumentException($"the CUDA backend computes on device buffers, not on a {activations.Buffer.GetType().Name}"),
    };

    /// <summary>x: [tokens, columns] as cuBLAS's B: f32 as it is, rounded into scratch for 16-bit weights.</summary>
    private ArrayView<byte> GemmInput(TensorDType type, ArrayView<float> x)
    {
        if (type == TensorDType.F32)
        {
            return x.Cast<byte>();
        }

        var narrowed = _narrowed.View(x.IntLength);
        _kernels.Narrow(_stream, type, x, narrowed);
        return narrowed.Cast<byte>();
    }

    private static DeviceKvLayer Device(KvLayer layer) => layer as DeviceKvLayer
        ?? throw new ArgumentException($"the CUDA backend reads KV layers in device memory, not a {layer.GetType().Name}");

    private static int BlockTableLength(AttentionMetadata metadata)
    {
        int blocks = 0;
        foreach (var sequence in metadata.Sequences)
        {
            blocks += (sequence.ContextLength + metadata.BlockSize - 1) / metadata.BlockSize;
        }

        return blocks;
    }

    /// <summary>The uploaded per-token array of the step <paramref name="metadata"/> describes.</summary>
    private ArrayView<int> Step(AttentionMetadata metadata, GrowingBuffer<int> perToken) => ReferenceEquals(metadata, _step)
        ? perToken.View(metadata.TokenCount)
        : throw new InvalidOperationException("BeginStep was not called with this step's metadata");

    /// <summary>A scratch view (the logits) seen as activations for one matmul.</summary>
    private sealed class ViewActivations(ArrayView<float> view) : ActivationBuffer
    {
        public ArrayView<float> View { get; } = view;

        public override int Length => (int)View.Length;

        public override void Dispose()
        {
        }
    }
}
