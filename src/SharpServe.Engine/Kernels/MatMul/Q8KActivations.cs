using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpServe.Engine.Kernels.Simd;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Activations for K-quant weights as ggml's quantize_row_q8_K_ref makes them: per 256 values, with max the value of
/// largest magnitude (sign kept, first one on ties), q = min(127, nearest_int(x · −127/max)); an all-zero block stores
/// d = 0 and zero quants. One measured deviation from the C text: d = max / −127, not 1 / (−127/max) (they differ in
/// the last bit). With 1/iscale the Q6_K logits were up to 0.38 off llama.cpp (LLamaSharp 0.30.0) at 34 of 64 positions
/// of the oracle test; with max / −127 all 64 agree within 7.6e-6. Presumably that build computes the reciprocal
/// differently (e.g. under reciprocal-math); not traced further. Beside the quants go the exact integer sums the
/// kernels need per token instead of per (row, token): Q6_K's vpdpbusd offset −32·Σ q over each 4 values
/// (<see cref="Q6Rows"/> dots the unsigned q6 and subtracts 32·Σ q8), and Q4_K's Σ q over each 32 values (its min term,
/// ggml's bsums added pairwise).
/// llama.cpp's repacked Q4_K GEMM quantizes whole groups of 4 tokens with ggml_quantize_mat_q8_K_4x8 instead, whose d is
/// 1/iscale as written: with that scale (<see cref="QuantizeBlocks"/>' reciprocalScale) for the panel GEMM's Q4_K tokens
/// the "kquant" Q4_K_M oracle test went from 0.128 to 3.8e-6 max |Δlogit|; with max / −127 there, 0.128.
/// </summary>
internal static unsafe class Q8KActivations
{
    public const int BlockSize = 256;

    /// <summary>
    /// q[0, columns), d[0, columns / 256), q6Offsets[0, columns / 4) and chunkSums[0, columns / 32) from x[0, columns);
    /// columns is a multiple of 256. Vectorized: a single-token K-quant matmul quantizes its input on one thread before
    /// the rows are split, and the scalar loops took ~16 µs per 1536 values (in cache, one thread: Q4_K q/o_proj 18 GB/s
    /// against 24 for gate/up, the same rows but six times as many of them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize<TS, TV>(float* x, int columns, sbyte* q, float* d, int* q6Offsets, int* chunkSums)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        QuantizeBlocks<TS, TV>(x, columns, q, d);
        for (int i = 0; i < columns / 32; i++)
        {
            // 8 int32 lanes, each four int8 quants: lane k = Σ of quants 4k .. 4k + 3 (sign-extended by the shift pairs).
            var packed = Vector256.Load((int*)(q + (32 * i)));
            var sums = ((packed << 24) >> 24) + ((packed << 16) >> 24) + ((packed << 8) >> 24) + (packed >> 24);
            (sums * -32).Store(q6Offsets + (8 * i));
            chunkSums[i] = Vector256.Sum(sums);
        }
    }

    /// <summary>
    /// Reorders each 256-value block's 32-value chunks in place from 0–7 to 0, 2, 1, 3, 4, 6, 5, 7, the order in which
    /// <see cref="Q4KWideRows"/> meets them in Q4_K's packed quants. Only the quants move: the sums stay in chunk order.
    /// </summary>
    public static void PairChunks(sbyte* q, int columns)
    {
        for (sbyte* block = q; block < q + columns; block += BlockSize)
        {
            Swap(block + 32, block + 64);
            Swap(block + 160, block + 192);
        }

        static void Swap(sbyte* a, sbyte* b)
        {
            var first = Vector256.Load(a);
            Vector256.Load(b).Store(a);
            first.Store(b);
        }
    }

    /// <summary>
    /// q[0, columns) and d[0, columns / 256) from x[0, columns), without the sums (the panel GEMM forms its own);
    /// <paramref name="reciprocalScale"/>: d = 1/iscale (ggml_quantize_mat_q8_K_4x8's) instead of max / −127.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeBlocks<TS, TV>(float* x, int columns, sbyte* q, float* d, bool reciprocalScale = false)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        for (int b = 0; b < columns / BlockSize; b++)
        {
            QuantizeBlock<TS, TV>(x + ((long)b * BlockSize), q + ((long)b * BlockSize), d + b, reciprocalScale);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuantizeBlock<TS, TV>(float* x, sbyte* q, float* d, bool reciprocalScale)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        TV largest = TS.Zero;
        for (int j = 0; j < BlockSize; j += TS.Count)
        {
            largest = TS.Max(largest, TS.Abs(TS.Load(x + j)));
        }

        float amax = TS.MaxAcross(largest);
        if (amax == 0f)
        {
            *d = 0f;
            new Span<sbyte>(q, BlockSize).Clear();
            return;
        }

        // The signed value: the first element of that magnitude, as the scalar scan keeps it (bounded, in case of NaN).
        float max = amax;
        for (int j = 0; j < BlockSize; j++)
        {
            if (MathF.Abs(x[j]) == amax)
            {
                max = x[j];
                break;
            }
        }

        // round-half-even(x · −127/max) = nearest_int; |x · iscale| ≤ 127 up to a rounding, so ggml's min(127, …) never clips.
        float iscale = -127f / max;
        for (int j = 0; j < BlockSize; j += TS.Count)
        {
            TS.QuantizeToInt8(x + j, iscale, q + j);
        }

        *d = reciprocalScale ? 1f / iscale : max / -127f;
    }
}
