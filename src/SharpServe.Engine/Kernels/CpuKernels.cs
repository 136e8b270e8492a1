using SharpServe.Engine.Kernels.MatMul;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Kernels;

/// <summary>
/// The kernels of one <see cref="SimdTier"/>, at pointer level (arguments already checked and pinned by
/// <see cref="CpuBackend"/>). Owns the scratch buffers, which only grow, so steady-state calls do not allocate.
/// </summary>
internal abstract unsafe class CpuKernels : IDisposable
{
    /// <summary>
    /// From this many tokens Q8_0, Q4_0 and Awq4 matmuls take the int8 panel GEMM (MatMul.PanelGemmJob, llama.cpp's repacked-GEMM
    /// summation order), Q4_K and Q6_K its K-quant tiles (MatMul.KPanelTile); fewer stay on the GEMV register tiles
    /// and rows (ggml_vec_dot's order), whose prefetched weight stream suits
    /// memory-bound batches. Measured (bench kernels --only gemm, 2 threads, r1-distill-1.5B shapes, noisy shared machine,
    /// medians of 3 interleaved runs; weights streamed from DRAM up to 16 tokens): panels ÷ tiles at 8 tokens 0.36–0.94×,
    /// at 16 Q8_0 0.73–0.95× and Q4_0 0.36–0.89×, at 32 Q8_0 1.10–1.56× and Q4_0 1.81–2.12×, at 64 1.67–2.74×.
    /// Q4_K/Q6_K panels ÷ rows (medians of 4 interleaved runs, busier machine): at 32 tokens 0.81–1.43×, most 1.05–1.35×;
    /// at 128 1.0–1.8×.
    /// </summary>
    public const int PanelMinTokens = 32;

    public static CpuKernels Create(SimdTier tier, WorkerPool pool) => tier switch
    {
        SimdTier.Vector512 => new TierKernels<Simd512, System.Runtime.Intrinsics.Vector512<float>>(pool),
        SimdTier.Vector256 => new TierKernels<Simd256, System.Runtime.Intrinsics.Vector256<float>>(pool),
        _ => new TierKernels<SimdScalar, float>(pool),
    };

    /// <summary>
    /// Each target's y = x·Wᵀ + bias. x: [tokens, columns]; every target's weights [rows, columns] in <paramref name="type"/>. The
    /// activations are prepared once for all <paramref name="count"/> targets.
    /// </summary>
    public abstract void MatMuls(TensorDType type, int columns, float* x, int tokens, MatMulTarget* targets, int count);

    /// <summary>table: [vocab, columns] in type; y: [tokens, columns].</summary>
    public abstract void EmbeddingLookup(TensorDType type, byte* table, int columns, int* ids, int tokens, float* y);

    public abstract void RmsNorm(float* x, float* weight, float eps, float* y, int tokens, int dim);

    public abstract void Rope(float* x, int* positions, int tokens, int heads, int headDim, float theta);

    public abstract void SiluMul(float* gate, float* up, float* y, long count);

    public abstract void Add(float* x, float* y, long count);

    /// <summary>q, output: [tokens, heads, headDim] f32; keys, values: [slots, kvHeads, headDim] in kvType (F32, F16 or BF16).</summary>
    public abstract void Attention(float* q, byte* keys, byte* values, TensorDType kvType, AttentionMetadata metadata, int heads, int kvHeads, int headDim, float* output);

    public abstract void Dispose();
}
