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
    /// columns is a multiple of 256.
    /// </summary>
    public static void Quantize(float* x, int columns, sbyte* q, float* d, int* q6Offsets, int* chunkSums)
    {
        QuantizeBlocks(x, columns, q, d);
        for (int i = 0; i < columns / 32; i++, q += 32, chunkSums++)
        {
            *chunkSums = 0;
            for (int g = 0; g < 8; g++, q6Offsets++)
            {
                int sum = q[4 * g] + q[(4 * g) + 1] + q[(4 * g) + 2] + q[(4 * g) + 3];
                *q6Offsets = -32 * sum;
                *chunkSums += sum;
            }
        }
    }

    /// <summary>
    /// q[0, columns) and d[0, columns / 256) from x[0, columns), without the sums (the panel GEMM forms its own);
    /// <paramref name="reciprocalScale"/>: d = 1/iscale (ggml_quantize_mat_q8_K_4x8's) instead of max / −127.
    /// </summary>
    public static void QuantizeBlocks(float* x, int columns, sbyte* q, float* d, bool reciprocalScale = false)
    {
        for (int b = 0; b < columns / BlockSize; b++)
        {
            QuantizeBlock(x + ((long)b * BlockSize), q + ((long)b * BlockSize), d + b, reciprocalScale);
        }
    }

    private static void QuantizeBlock(float* x, sbyte* q, float* d, bool reciprocalScale)
    {
        float max = 0f;
        float amax = 0f;
        for (int j = 0; j < BlockSize; j++)
        {
            if (MathF.Abs(x[j]) > amax)
            {
                amax = MathF.Abs(x[j]);
                max = x[j];
            }
        }

        if (amax == 0f)
        {
            *d = 0f;
            new Span<sbyte>(q, BlockSize).Clear();
            return;
        }

        float iscale = -127f / max;
        for (int j = 0; j < BlockSize; j++)
        {
            q[j] = (sbyte)Math.Min(127, Q6KCodec.NearestInt(iscale * x[j]));
        }

        *d = reciprocalScale ? 1f / iscale : max / -127f;
    }
}
